/** The only file with side effects: read the environment once and run. */
import { runServiceMain } from '@smp/platform';
import { parseConfig, SERVICE, start } from './index.js';

runServiceMain({ service: SERVICE, env: process.env, parseConfig, start });
