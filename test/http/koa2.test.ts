import Koa2 from 'koa2';
import { koaFramework } from './koa-framework.js';
import { describeScenarios } from './scenarios.js';
import { describeHttpModeScenarios } from './http-mode-scenarios.js';
import { describeWriteScenarios } from './write-scenarios.js';

// Koa 2 is still widely deployed: the same scenarios run against it.
const framework = koaFramework('Koa 2', Koa2 as unknown as Parameters<typeof koaFramework>[1]);
describeScenarios(framework);
describeHttpModeScenarios(framework);
describeWriteScenarios(framework);
