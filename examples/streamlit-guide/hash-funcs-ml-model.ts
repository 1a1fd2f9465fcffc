/**
 * hash_funcs, example 3: passing an ML model to a cached function.
 *
 *   @st.cache_resource
 *   def load_base_model(option):
 *       if option == 1: return tf.keras.applications.ResNet50(...)
 *       else:           return tf.keras.applications.MobileNetV2(...)
 *
 *   @st.cache_resource(hash_funcs={Functional: lambda x: x.name})
 *   def load_layers(base_model):
 *       return [layer.name for layer in base_model.layers]
 *
 * In Larder a value that came from `cacheResource` (or the registry) hashes by its resource identity:
 * the function that made it and that function's arguments. So it can be passed to another cached
 * function with no `hashFuncs`: model 1 hits model 1, model 2 misses. (Prefixing the parameter with
 * `_` would be the bug Streamlit warns about: the same layers for both models.) A model built any
 * other way still needs `hashFuncs`, e.g. `{ BaseModel: (m) => m.name }`.
 */
import { cacheData, cacheResource } from '@larder/core';
import { runIfMain } from './run.js';

export class BaseModel {
  constructor(
    readonly name: string,
    readonly layers: ReadonlyArray<{ name: string }>,
  ) {}
}

export const runs = { loadBaseModel: 0, loadLayers: 0 };

export const loadBaseModel = cacheResource(function loadBaseModel(option: 1 | 2) {
  runs.loadBaseModel++;
  return option === 1
    ? new BaseModel('resnet50', [{ name: 'conv1' }, { name: 'conv2_block1' }, { name: 'avg_pool' }])
    : new BaseModel('mobilenetv2', [{ name: 'Conv1' }, { name: 'expanded_conv' }, { name: 'out_relu' }]);
});

export const loadLayers = cacheData(function loadLayers(baseModel: BaseModel) {
  runs.loadLayers++;
  return baseModel.layers.map((layer) => layer.name);
});

/** The buggy variant: `_baseModel` is not hashed, so model 2 gets model 1's layers. */
export const loadLayersIgnoringTheModel = cacheData(function loadLayersIgnoringTheModel(_baseModel: BaseModel) {
  return _baseModel.layers.map((layer) => layer.name);
});

async function main(): Promise<void> {
  console.log(await loadLayers(await loadBaseModel(1)));
  console.log(await loadLayers(await loadBaseModel(1))); // cached
  console.log(await loadLayers(await loadBaseModel(2))); // another model: runs
  console.log(`loadLayers ran ${runs.loadLayers} times for 3 calls`);
  await loadLayersIgnoringTheModel(await loadBaseModel(1));
  console.log('with _baseModel, model 2 wrongly gets:', await loadLayersIgnoringTheModel(await loadBaseModel(2)));
}

await runIfMain(import.meta.url, main);
