import Koa from 'koa';
import { koaFramework } from './koa-framework.js';
import { describeScenarios } from './scenarios.js';
import { describeHttpModeScenarios } from './http-mode-scenarios.js';
import { describeWriteScenarios } from './write-scenarios.js';

const framework = koaFramework('Koa 3', Koa);
describeScenarios(framework);
describeHttpModeScenarios(framework);
describeWriteScenarios(framework);
