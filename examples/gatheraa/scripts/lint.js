#!/usr/bin/env node
'use strict';

// A small linter with no dependencies: every JavaScript file under src/, test/
// and scripts/ must parse, start with 'use strict', use two-space indentation
// (no tabs), keep lines within 100 columns, have no trailing blanks, end with a
// newline, and never use var or debugger. Problems are printed as
// FILE:LINE:COL: message, and the exit status is 1 when there are any.

const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');

const root = path.resolve(__dirname, '..');
const dirs = ['src', 'test', 'scripts'];
const MAX_COLUMNS = 100;
const DEBUGGER = new RegExp('(^|[^\\w.$])debugger\\b');

function jsFiles(dir) {
  const out = [];
  let entries;
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory() && entry.name !== 'node_modules') {
      out.push(...jsFiles(full));
    } else if (entry.isFile() && entry.name.endsWith('.js')) {
      out.push(full);
    }
  }
  return out.sort();
}

function lint(file) {
  const problems = [];
  const rel = path.relative(root, file);
  const text = fs.readFileSync(file, 'utf8');
  const report = (line, col, message) => problems.push(`${rel}:${line}:${col}: ${message}`);

  try {
    // Compile only, as CommonJS does (the function wrapper), never run.
    const source = text.startsWith('#!') ? `//${text.slice(2)}` : text;
    new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`,
      { filename: rel });
  } catch (err) {
    const m = /:(\d+)/.exec(String(err.stack).split('\n')[0]);
    report(m ? Number(m[1]) : 1, 1, `syntax error: ${err.message}`);
    return problems;
  }
  const lines = text.split('\n');
  const body = lines.filter((l) => !l.startsWith('#!') && l.trim() !== '' && !l.startsWith('//'));
  if (body[0] !== "'use strict';") {
    report(1, 1, "expected 'use strict'; first");
  }
  if (!text.endsWith('\n')) {
    report(lines.length, lines[lines.length - 1].length + 1, 'no newline at end of file');
  }
  lines.forEach((line, i) => {
    const n = i + 1;
    if (line.includes('\t')) {
      report(n, line.indexOf('\t') + 1, 'tab character; indent with two spaces');
    }
    if (/\s+$/.test(line)) {
      report(n, line.trimEnd().length + 1, 'trailing whitespace');
    }
    if (line.length > MAX_COLUMNS) {
      report(n, MAX_COLUMNS + 1, `line longer than ${MAX_COLUMNS} columns`);
    }
    const code = line.replace(/\/\/.*$/, '')
      .replace(/'(?:[^'\\]|\\.)*'/g, "''")
      .replace(/"(?:[^"\\]|\\.)*"/g, '""');
    if (/(^|[^\w.$])var\s/.test(code)) {
      report(n, code.search(/var\s/) + 1, 'var; use const or let');
    }
    if (DEBUGGER.test(code)) {
      report(n, code.indexOf('debugger') + 1, 'debugger statement');
    }
  });
  return problems;
}

const files = dirs.flatMap((d) => jsFiles(path.join(root, d)));
const problems = files.flatMap(lint);
for (const p of problems) {
  process.stdout.write(`${p}\n`);
}
process.stdout.write(`lint: ${files.length} files, ${problems.length} problems\n`);
process.exitCode = problems.length ? 1 : 0;
