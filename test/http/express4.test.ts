import express4 from 'express4';
import { expressFramework } from './express-framework.js';
import { describeScenarios } from './scenarios.js';
import { describeHttpModeScenarios } from './http-mode-scenarios.js';
import { describeWriteScenarios } from './write-scenarios.js';

const framework = expressFramework('Express 4', express4 as unknown as typeof import('express'));
describeScenarios(framework);
describeHttpModeScenarios(framework);
describeWriteScenarios(framework);
