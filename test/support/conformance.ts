import { CrdSchemas } from './crd-schemas';
import { nameErrors } from './k8s-names';
import { kplusTypeErrors } from './kplus-types';
import { modelErrors } from './models';
import { LintProblem, tektonLint } from './tekton-lint';

/** Everything every checker says about a set of objects. */
export interface ConformanceReport {
  /** CRD schema (and CEL rule) errors of Tekton, Flux and External Secrets objects. */
  readonly schema: string[];
  /** Objects whose apiVersion/kind no loaded CRD defines (Tekton, Flux and External Secrets groups only). */
  readonly unknownKinds: string[];
  /** kubernetes-models / @kubernetes-models/flux-cd errors of Flux and core objects (External Secrets has no models). */
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
/** External Secrets Operator's objects (a listener's generated token): checked against the pinned CRDs only. */
const isExternalSecrets = (o: any) => /(^|\.)external-secrets\.io\//.test(o.apiVersion);

/** Runs every checker on the objects. */
export function checkConformance(objects: any[], schemas: CrdSchemas): ConformanceReport {
  const crdObjects = objects.filter((o) => isTekton(o) || isTriggers(o) || isFlux(o) || isExternalSecrets(o));
  return {
    schema: crdObjects.filter((o) => schemas.has(o.apiVersion, o.kind)).flatMap((o) => schemas.errors(o)),
    unknownKinds: crdObjects.filter((o) => !schemas.has(o.apiVersion, o.kind)).map((o) => `${o.apiVersion} ${o.kind}`),
    models: modelErrors(objects.filter((o) => !isTekton(o) && !isTriggers(o) && !isExternalSecrets(o))),
    coreTypes: kplusTypeErrors(objects.filter((o) => !isExternalSecrets(o))),
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

/**
 * What "safe by default" promises of an app's output (docs: README "Security"):
 * - no `$(params.`/`$(tasks.`/`$(context.` text inside a step's script or a shell's `-c` argument;
 * - every EventListener trigger authenticates (a CEL `compareSecret`), unless `unauthenticated` lists it;
 * - no listener ServiceAccount bound to Triggers' release roles or cluster-admin; no rule with `*`,
 *   Secrets without `resourceNames`, or `impersonate`;
 * - a NetworkPolicy for every listener; every step that runs a step's container without `command` or `script`
 *   is reported too (Tekton's controller would ask the image registry for its entrypoint).
 */
export function securityProblems(objects: any[], unauthenticated: string[] = []): string[] {
  const problems: string[] = [];
  const SHELLS = /(^|\/)(sh|bash|ash|dash|ksh|zsh)$/;
  const TEXT = /\$\((params|tasks|context)[.[]/;
  for (const o of objects) {
    const where = `${o.kind}/${o.metadata?.namespace ?? ''}/${o.metadata?.name}`;
    for (const s of o.kind === 'Task' ? [...(o.spec.steps ?? []), ...(o.spec.sidecars ?? [])] : []) {
      if (s.script && TEXT.test(s.script)) problems.push(`${where}: step '${s.name}' script substitutes ${TEXT.exec(s.script)![0]}… as text`);
      const argv = [...(s.command ?? []), ...(s.args ?? [])];
      const c = argv.findIndex((a: string) => /^-[a-z]*c[a-z]*$/.test(a));
      if (argv.length && SHELLS.test(argv[0]) && c > 0 && TEXT.test(argv[c + 1] ?? '')) problems.push(`${where}: step '${s.name}' shell -c argument substitutes as text`);
      if (!s.script && !s.command) problems.push(`${where}: step '${s.name}' has neither command nor script`);
    }
    if (o.kind === 'EventListener') {
      for (const t of o.spec.triggers ?? []) {
        const authed = JSON.stringify(t.interceptors ?? []).includes('compareSecret(');
        if (!authed && !unauthenticated.includes(`${o.metadata.namespace}/${o.metadata.name}`)) problems.push(`${where}: trigger '${t.name}' is unauthenticated`);
      }
      const policy = objects.some((p) => p.kind === 'NetworkPolicy' && p.metadata.namespace === o.metadata.namespace &&
        p.spec?.podSelector?.matchLabels?.eventlistener === o.metadata.name);
      if (!policy) problems.push(`${where}: no NetworkPolicy admits only its clients`);
    }
    if (o.kind === 'RoleBinding' || o.kind === 'ClusterRoleBinding') {
      if (/^(tekton-triggers-eventlistener-(cluster)?roles|cluster-admin|admin|edit)$/.test(o.roleRef.name)) problems.push(`${where}: binds ${o.roleRef.name}`);
    }
    if (o.kind === 'Role' || o.kind === 'ClusterRole') {
      for (const r of o.rules ?? []) {
        if ([...r.verbs, ...(r.resources ?? []), ...(r.apiGroups ?? [])].includes('*')) problems.push(`${where}: a rule with '*'`);
        if (r.resources?.includes('secrets') && !r.resourceNames?.length) problems.push(`${where}: reads Secrets without resourceNames`);
        if (r.verbs.includes('impersonate')) problems.push(`${where}: may impersonate`);
      }
    }
  }
  return problems;
}
