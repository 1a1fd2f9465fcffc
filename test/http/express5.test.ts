import express from 'express';
import { expressFramework } from './express-framework.js';
import { describeScenarios } from './scenarios.js';

describeScenarios(expressFramework('Express 5', express));
