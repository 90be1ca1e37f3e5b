#!/usr/bin/env node
// Entry point of the `sysstub` command: see lib/cli.ts.
import { main } from '../dist/cli.js';

await main();
