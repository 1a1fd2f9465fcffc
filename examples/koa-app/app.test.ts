import { describeExampleApp } from '../shared/app-scenarios.js';
import { createApp } from './app.js';

describeExampleApp('the Koa example', (options) => {
  const { app, larder, close } = createApp(options);
  return { listener: app.callback(), larder, close };
});
