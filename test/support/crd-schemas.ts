import * as fs from 'fs';
import * as path from 'path';
import { isCelError, run } from '@bufbuild/cel';
import { strings } from '@bufbuild/cel/ext';
import Ajv, { ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { parseAllDocuments } from 'yaml';
import { toCel } from '../../src/simulate/tekton-cel';

/** The CRDs copied from upstream repositories at a commit (test/crds-copied/SOURCE.md), which `npm run import` keeps. */
export const COPIED_CRDS = path.resolve(__dirname, '../crds-copied');

/**
 * Validates objects against the `openAPIV3Schema` of their CRD, the way the API server would:
 * - the served version's schema, with `required`, `enum`, `pattern`, `maxLength` …;
 * - structural pruning made strict: an object schema with `properties` and neither
 *   `additionalProperties` nor `x-kubernetes-preserve-unknown-fields` gets `additionalProperties: false`
 *   (the API server would silently drop an unknown field, which then drifts under Flux);
 * - `x-kubernetes-int-or-string`, `x-kubernetes-list-type: set|map` (uniqueness), `x-kubernetes-embedded-resource`;
 * - `x-kubernetes-validations`: the CEL rules, evaluated with `self` bound to the value they sit on
 *   (transition rules, which need `oldSelf`, do not apply to a create and are skipped).
 */
export class CrdSchemas {
  /**
   * Loads every CRD below `dir`, and those of test/crds-copied (Flux's image automation, which no pinned Go
   * module ships: see its SOURCE.md); a CRD of the same kind below `dir` takes the place of a copied one.
   */
  public static load(dir: string): CrdSchemas {
    const schemas = new CrdSchemas();
    for (const folder of [COPIED_CRDS, dir]) {
      for (const file of fs.readdirSync(folder, { recursive: true }) as string[]) {
        if (!/\.ya?ml$/.test(file)) continue;
        for (const doc of parseAllDocuments(fs.readFileSync(path.join(folder, file), 'utf8'))) {
          const crd = doc.toJS();
          if (crd?.kind === 'CustomResourceDefinition') schemas.add(crd);
        }
      }
    }
    return schemas;
  }

  private readonly ajv: Ajv;
  private readonly byGvk = new Map<string, { validate: ValidateFunction; served: boolean; schema: any }>();

  private constructor() {
    this.ajv = new Ajv({ allErrors: true, strict: false, validateFormats: true });
    addFormats(this.ajv);
    for (const f of ['int32', 'int64', 'int', 'byte', 'double', 'float', 'https']) this.ajv.addFormat(f, true);
    this.ajv.addKeyword({
      keyword: 'x-kubernetes-list-type',
      schemaType: 'string',
      validate: function listType(this: any, kind: string, data: unknown, parent: any) {
        if (!Array.isArray(data) || kind === 'atomic') return true;
        const keys: string[] | undefined = parent?.['x-kubernetes-list-map-keys'];
        const ids = data.map((item) => (kind === 'map' && keys ? JSON.stringify(keys.map((k) => item?.[k])) : JSON.stringify(item)));
        return new Set(ids).size === ids.length;
      },
      errors: false,
    });
    for (const k of ['x-kubernetes-list-map-keys', 'x-kubernetes-map-type', 'x-kubernetes-preserve-unknown-fields',
      'x-kubernetes-int-or-string', 'x-kubernetes-embedded-resource', 'x-kubernetes-validations']) {
      this.ajv.addKeyword(k);
    }
  }

  /** Whether a CRD for this apiVersion/kind is loaded (served or not). */
  public has(apiVersion: string, kind: string): boolean {
    return this.byGvk.has(`${apiVersion}/${kind}`);
  }

  /** Schema errors of one object (empty when valid). Throws when no CRD serves its apiVersion/kind. */
  public errors(obj: any): string[] {
    const entry = this.byGvk.get(`${obj.apiVersion}/${obj.kind}`);
    if (!entry) throw new Error(`no CRD for ${obj.apiVersion} ${obj.kind}`);
    const where = `${obj.kind}/${obj.metadata?.name}`;
    const errors: string[] = entry.served ? [] : [`${where}: ${obj.apiVersion} is not served`];
    if (!entry.validate(obj)) {
      for (const e of entry.validate.errors ?? []) {
        errors.push(`${where}${e.instancePath} ${e.message}${e.params && Object.keys(e.params).length ? ` ${JSON.stringify(e.params)}` : ''}`);
      }
    }
    errors.push(...celRuleErrors(entry.schema, obj, '').map((e) => `${where}${e}`));
    return errors;
  }

  private add(crd: any) {
    for (const version of crd.spec.versions) {
      const schema = version.schema?.openAPIV3Schema;
      if (!schema) continue;
      const strict = strictify(structuredClone(schema));
      const apiVersion = `${crd.spec.group}/${version.name}`;
      this.byGvk.set(`${apiVersion}/${crd.spec.names.kind}`, { validate: this.ajv.compile(strict), served: version.served, schema });
    }
  }
}

/** Makes pruning visible: unknown fields become errors; int-or-string accepts both. */
function strictify(schema: any): any {
  if (!schema || typeof schema !== 'object') return schema;
  if (schema['x-kubernetes-int-or-string']) {
    delete schema.type;
    if (!schema.anyOf) schema.anyOf = [{ type: 'integer' }, { type: 'string' }];
  }
  if (schema.properties) {
    for (const k of Object.keys(schema.properties)) strictify(schema.properties[k]);
    if (schema.additionalProperties === undefined && !schema['x-kubernetes-preserve-unknown-fields']) {
      schema.additionalProperties = false;
    }
  }
  if (schema.additionalProperties && typeof schema.additionalProperties === 'object') strictify(schema.additionalProperties);
  if (schema.items) strictify(schema.items);
  for (const k of ['anyOf', 'oneOf', 'allOf']) (schema[k] ?? []).forEach(strictify);
  if (schema['x-kubernetes-embedded-resource']) {
    // embedded objects carry apiVersion/kind/metadata even when the schema does not list them
    schema.properties = { apiVersion: { type: 'string' }, kind: { type: 'string' }, metadata: { type: 'object' }, ...schema.properties };
  }
  return schema;
}

/** Evaluates `x-kubernetes-validations` rules where the object has a value. */
function celRuleErrors(schema: any, data: unknown, at: string): string[] {
  if (!schema || data === undefined || data === null) return [];
  const errors: string[] = [];
  for (const rule of schema['x-kubernetes-validations'] ?? []) {
    if (/\boldSelf\b/.test(rule.rule)) continue;
    const result = run(rule.rule, { self: toCel(data) }, { funcs: strings });
    if (isCelError(result)) errors.push(`${at} rule \`${rule.rule}\` could not be evaluated: ${String((result as any).message ?? result)}`);
    else if (result !== true) errors.push(`${at} ${rule.message ?? `fails ${rule.rule}`}`);
  }
  if (schema.properties && typeof data === 'object' && !Array.isArray(data)) {
    for (const [k, sub] of Object.entries(schema.properties)) errors.push(...celRuleErrors(sub, (data as any)[k], `${at}/${k}`));
  }
  if (schema.items && Array.isArray(data)) data.forEach((d, i) => errors.push(...celRuleErrors(schema.items, d, `${at}/${i}`)));
  if (schema.additionalProperties && typeof schema.additionalProperties === 'object' && typeof data === 'object' && !Array.isArray(data)) {
    for (const [k, v] of Object.entries(data as any)) {
      if (!schema.properties?.[k]) errors.push(...celRuleErrors(schema.additionalProperties, v, `${at}/${k}`));
    }
  }
  return errors;
}
