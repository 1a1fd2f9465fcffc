import express from 'express';
import { expressFramework } from './express-framework.js';
import { describeScenarios } from './scenarios.js';
import { describeHttpModeScenarios } from './http-mode-scenarios.js';
import { describeWriteScenarios } from './write-scenarios.js';

const framework = expressFramework('Express 5', express);
describeScenarios(framework);
describeHttpModeScenarios(framework);
describeWriteScenarios(framework);
