import { describeExampleApp } from '../shared/app-scenarios.js';
import { createApp } from './app.js';

describeExampleApp('the Express example', (options) => {
  const { app, larder, close } = createApp(options);
  return { listener: app, larder, close };
});
