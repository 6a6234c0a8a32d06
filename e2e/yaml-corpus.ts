/**
 * The YAML corpus the e2e suite reads back with the real sigs.k8s.io/yaml: hostile strings (YAML 1.1/1.2
 * keywords and numbers, go-yaml's own number forms, every line and paragraph separator and control
 * character, surrogates, long and multi-line strings, JavaScript prototype names) through every kind of
 * field — a map value, a list item, a map key, a multi-line script, and through the constructs (a Task's
 * description, step script, env value and param default, an object's labels and annotations), written by
 * the library's serializer. Each entry holds the YAML and the JSON the constructs meant, or the synth error
 * for a value no YAML file can carry.
 */
import * as fs from 'fs';
import * as path from 'path';
import { ApiObject, App, Chart } from 'cdk8s';
import { Task } from '../src';
import { toKubernetesYaml } from '../src/app/yaml';

const KEYWORDS = ['y', 'Y', 'yes', 'Yes', 'YES', 'n', 'N', 'no', 'No', 'NO', 'true', 'True', 'TRUE', 'false', 'False', 'FALSE',
  'on', 'On', 'ON', 'off', 'Off', 'OFF', 'null', 'Null', 'NULL', '~', ''];
const NUMBERS = ['0', '1', '-1', '+1', '0o10', '0O10', '0x10', '0X10', '0b11', '0B11', '-0o7', '+0x1F', '010', '0777', '1_000', '1__0',
  '1:20', '1:20:30', '1.5', '.5', '0.', '1e3', '1E3', '-1e-3', '1.0e+3', '.inf', '-.inf', '+.inf', '.Inf', '.INF', '.nan', '.NaN', '.NAN',
  '2001-12-14', '2001-12-14t21:59:43.10-05:00', '2001-12-14 21:59:43.10 -5', '0.1.2', '1-2', 'inf', 'NaN', 'Infinity', '-Infinity', '0o', '0x'];
const SYNTAX = ['-', '- x', ':', 'a: b', 'a:b', '#', 'a #b', '& x', '*x', '!x', '!!str x', '%x', '@x', '`x', '|', '>', '[a]', '{a}', ',', '?',
  '? x', '---', '...', '<<', '=', '"', "'", '"a"', "'a'", '\\', '\\n', 'a\\"b'];
const SPACE = [' lead', 'trail ', '\t', 'a\tb', '\n', 'a\nb', 'a\n', 'a\n\n', '\na', ' \n ', 'a\r\nb', '\r', '  indented\nfirst'];
const CONTROL = ['\x00', 'a\x01b', '\x07', '\x08', '\x0b', '\x0c', '\x1b', '\x1f', 'x\x7fy', 'a\x85b', '\xa0', 'a\u2028b', 'a\u2029b',
  '\ufeffbom', 'x\ufffe', '\uffff', 'a\u200bb', 'é', '日本語', '😀', 'tab\tand\nnewline'];
const JS = ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf', 'undefined', 'prototype'];
const LONG = ['x'.repeat(10_000), 'line\n'.repeat(1000), '#!/bin/sh\nset -eu\necho "0o10" yes: no\n  indented\n\ttabbed\n'];
/** Values no YAML file can carry: the synth must fail, saying where. */
const UNWRITABLE = ['\ud800', 'a\udc00b', 'x\udbff'];

export const HOSTILE = [...KEYWORDS, ...NUMBERS, ...SYNTAX, ...SPACE, ...CONTROL, ...JS, ...LONG];

function own(key: string, value: unknown): { [k: string]: unknown } {
  const o: { [k: string]: unknown } = {};
  Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
  return o;
}

/** The plain-object fields: value, list item, key, and a script line. */
function rawObjects(value: string) {
  return [
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'value' }, data: { v: value } },
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'item' }, data: { list: [value, 'after'] } },
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'key' }, data: own(value, 'v') },
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'script' }, data: { script: `#!/bin/sh\necho start\n${value}\necho end\n` } },
  ];
}

/** The same value through the constructs: rendered by cdk8s, as the library's GitOpsApp renders it. */
function constructObjects(value: string): any[] {
  const app = new App();
  const chart = new Chart(app, 'corpus', { namespace: 'ci' });
  const task = new Task(chart, 'task', { description: value, metadata: { annotations: { note: value } } });
  task.addParam('p', { default: value });
  task.addStep({ name: 's', image: 'busybox', script: `#!/bin/sh\necho "${value.replace(/[\\"$`]/g, '\\$&')}"`, env: { V: value } });
  new ApiObject(chart, 'labels', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'labels', labels: { l: value } } });
  return chart.toJson();
}

export function writeYamlCorpus(file: string) {
  const entries: Array<{ value: string; field: string; yaml?: string; json?: string; error?: string }> = [];
  for (const value of HOSTILE) {
    for (const o of [...rawObjects(value), ...constructObjects(value)]) {
      entries.push({ value, field: `${o.kind}/${o.metadata.name}`, yaml: toKubernetesYaml([o]), json: JSON.stringify(o) });
    }
  }
  for (const value of UNWRITABLE) {
    for (const o of rawObjects(value)) {
      let error = '';
      try {
        toKubernetesYaml([o]);
      } catch (e: any) {
        error = e.message;
      }
      entries.push({ value: JSON.stringify(value), field: `${o.kind}/${o.metadata.name}`, error });
    }
  }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(entries));
  return entries.length;
}
