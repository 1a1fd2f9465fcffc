/** Every test file: warnings are captured and asserted, and a test that prints fails (see quiet.ts). */
import { afterAll, afterEach, beforeEach } from 'vitest';
import { assertQuiet, endTest, installQuietCapture, startTest } from './quiet.js';

installQuietCapture();
beforeEach(startTest);
afterEach(endTest);
afterAll(() => assertQuiet('this file, outside its tests,'));
