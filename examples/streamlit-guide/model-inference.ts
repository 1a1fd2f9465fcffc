/**
 * Running ML models (inference):
 *
 *   @st.cache_data
 *   def run_model(inputs):
 *       return model(inputs)
 *
 * The model comes from `cacheResource` (see model-loading.ts); the predictions are data, cached per
 * input. The model itself is not a parameter, so it is not part of the key.
 */
import { cacheData } from '@larder/core';
import { loadModel } from './model-loading.js';
import { runIfMain } from './run.js';

export const runModel = cacheData(async function runModel(inputs: string[]) {
  const model = await loadModel();
  return inputs.map((text) => model.predict(text));
});

async function main(): Promise<void> {
  const inputs = ['Smooth ride and a punctual pickup', 'Driver was rude and took a long detour'];
  const model = await loadModel();
  console.log(await runModel(inputs));
  await runModel(inputs);
  await runModel([...inputs]); // an equal array is the same key
  console.log(`3 calls, ${model.predictions} predictions: the model ran once per text`);
}

await runIfMain(import.meta.url, main);
