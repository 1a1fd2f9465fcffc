import express4 from 'express4';
import { expressFramework } from './express-framework.js';
import { describeScenarios } from './scenarios.js';

describeScenarios(expressFramework('Express 4', express4 as unknown as typeof import('express')));
