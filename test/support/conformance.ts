import { CrdSchemas } from './crd-schemas';
import { nameErrors } from './k8s-names';
import { kplusTypeErrors } from './kplus-types';
import { modelErrors } from './models';
import { LintProblem, tektonLint } from './tekton-lint';

/** Everything every checker says about a set of objects. */
export interface ConformanceReport {
  /** CRD schema (and CEL rule) errors of Tekton and Flux objects. */
  readonly schema: string[];
  /** Objects whose apiVersion/kind no loaded CRD defines (Tekton and Flux groups only). */
  readonly unknownKinds: string[];
  /** kubernetes-models / @kubernetes-models/flux-cd errors of Flux and core objects. */
  readonly models: string[];
  /** Core objects of a kind/version cdk8s-plus-28's Kubernetes types do not have. */
  readonly coreTypes: string[];
  /** Kubernetes name rule violations. */
  readonly names: string[];
  /** @ibm/tekton-lint problems of the Tekton objects. */
  readonly lint: LintProblem[];
}

const isTekton = (o: any) => /^tekton\.dev\//.test(o.apiVersion);
const isTriggers = (o: any) => /^triggers\.tekton\.dev\//.test(o.apiVersion);
const isFlux = (o: any) => /fluxcd\.io\//.test(o.apiVersion);

/** Runs every checker on the objects. */
export function checkConformance(objects: any[], schemas: CrdSchemas): ConformanceReport {
  const crdObjects = objects.filter((o) => isTekton(o) || isTriggers(o) || isFlux(o));
  return {
    schema: crdObjects.filter((o) => schemas.has(o.apiVersion, o.kind)).flatMap((o) => schemas.errors(o)),
    unknownKinds: crdObjects.filter((o) => !schemas.has(o.apiVersion, o.kind)).map((o) => `${o.apiVersion} ${o.kind}`),
    models: modelErrors(objects.filter((o) => !isTekton(o) && !isTriggers(o))),
    coreTypes: kplusTypeErrors(objects),
    names: objects.flatMap(nameErrors),
    lint: tektonLint(lintable(objects.filter((o) => isTekton(o) || isTriggers(o)))),
  };
}

/**
 * @ibm/tekton-lint cannot follow resolver or bundle `taskRef`s (it reports "references task 'undefined'",
 * its issue #118), nor see Tasks that exist in the cluster already (`Task.fromTaskName`). Lint such
 * pipelines together with the Task they resolve to: each such reference is replaced by a reference to a
 * Task with exactly the interface the pipeline binds.
 */
export function lintable(objects: any[]): any[] {
  const out = objects.map((o) => JSON.parse(JSON.stringify(o)));
  const stubs: any[] = [];
  for (const p of out.filter((o) => o.kind === 'Pipeline')) {
    const all = [...(p.spec?.tasks ?? []), ...(p.spec?.finally ?? [])];
    for (const t of all) {
      const present = t.taskRef?.name && out.some((o) => o.kind === 'Task' && o.metadata.name === t.taskRef.name);
      if (!t.taskRef?.resolver && present) continue;
      const name = `resolved-${p.metadata.name}-${t.name}`;
      const results = new Set<string>();
      for (const m of JSON.stringify(p.spec).matchAll(new RegExp(`\\$\\(tasks\\.${t.name}\\.results\\.([A-Za-z0-9_-]+)`, 'g'))) results.add(m[1]);
      stubs.push({
        apiVersion: 'tekton.dev/v1',
        kind: 'Task',
        metadata: { name, namespace: p.metadata.namespace },
        spec: {
          params: (t.params ?? []).map((x: any) => ({ name: x.name, type: Array.isArray(x.value) ? 'array' : typeof x.value === 'object' ? 'object' : 'string' })),
          workspaces: (t.workspaces ?? []).map((w: any) => ({ name: w.name })),
          results: [...results].map((r) => ({ name: r })),
          steps: [{
            name: 'resolved',
            image: 'busybox:1.36',
            script: ['#!/bin/sh',
              ...(t.params ?? []).map((x: any) => `echo "$(params.${x.name})"`),
              ...(t.workspaces ?? []).map((w: any) => `ls "$(workspaces.${w.name}.path)"`),
              ...[...results].map((r) => `echo > "$(results.${r}.path)"`)].join('\n'),
          }],
        },
      });
      t.taskRef = { name, kind: 'Task' };
    }
  }
  return [...out, ...stubs];
}

/**
 * Fields a default Tekton install rejects: alpha features behind flags that are off by default (param
 * `enum`: `enable-param-enum`; CEL `when`: `enable-cel-in-whenexpression`). The synth app and the examples
 * must apply to a default install.
 */
export function alphaFeatureUses(objects: any[]): string[] {
  const problems: string[] = [];
  for (const o of objects.filter((x) => /^tekton\.dev\//.test(x.apiVersion))) {
    const where = `${o.kind}/${o.metadata?.name}`;
    for (const p of o.spec?.params ?? []) if (p.enum) problems.push(`${where}: param '${p.name}' has an enum (enable-param-enum)`);
    for (const t of [...(o.spec?.tasks ?? []), ...(o.spec?.finally ?? [])]) {
      for (const w of t.when ?? []) if (w.cel) problems.push(`${where}: task '${t.name}' has a CEL when (enable-cel-in-whenexpression)`);
    }
  }
  return problems;
}
