/**
 * st.cache_resource's example: load a model once, share it with every user.
 *
 *   @st.cache_resource
 *   def load_model():
 *       return pipeline("sentiment-analysis")
 *
 *   model = load_model()
 *   result = model(query)[0]
 *
 * The model is the AFINN sentiment classifier of ../shared/sentiment-model.ts (word lists shipped
 * in the `sentiment` package: nothing is downloaded). A model is an object with methods, not data:
 * `cacheData` refuses it (UnserializableReturnValueError, pointing to cacheResource).
 */
import { cacheData, cacheResource } from '@larder/core';
import { loadSentimentModel } from '../shared/sentiment-model.js';
import { runIfMain } from './run.js';

export const loads = { loadModel: 0 };

export const loadModel = cacheResource(function loadModel() {
  loads.loadModel++;
  return loadSentimentModel();
});

/** The wrong decorator for a model: every hit would need a copy, and functions cannot be copied. */
export const loadModelAsData = cacheData(function loadModelAsData() {
  return loadSentimentModel();
});

async function main(): Promise<void> {
  const model = await loadModel();
  console.log(model.predict('I love Larder! 🎈'));
  console.log('same object for the next caller:', (await loadModel()) === model, `(loaded ${loads.loadModel} time)`);
  await loadModelAsData().catch((error: Error) => console.log(`cacheData refuses a model: ${error.message}`));
}

await runIfMain(import.meta.url, main);
