import Koa from 'koa';
import { koaFramework } from './koa-framework.js';
import { describeScenarios } from './scenarios.js';

describeScenarios(koaFramework('Koa 3', Koa));
