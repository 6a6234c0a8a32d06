import { FLUX_KINDS, FluxKind, IFluxEventSource, RefKind } from '../flux/event-source';
import { problem } from '../problems';
import { CelOverlay } from '../triggers/interceptor';

/**
 * An overlay and the stage of the listener's CEL interceptors it runs in. Tekton evaluates the overlays of
 * one interceptor side by side, but a later interceptor sees the earlier ones' results as `extensions`, so
 * derived fields read `extensions.revision` (stage 1) and `extensions.ref` (stage 2) instead of repeating
 * the expressions they come from.
 */
export interface StagedOverlay extends CelOverlay {
  /** 0: reads the body; 1: reads `extensions.revision`; 2: reads `extensions.ref`. */
  readonly stage: number;
}

/**
 * A field of the event Flux posts (see test/fixtures/flux-events in this repository), as a pipeline param value.
 * Fields derived from the revision are computed by CEL overlays in the listener, which accept both
 * metadata formats: `revision` (notification-controller ≥ v1.5) and the legacy `<api group>/revision`.
 */
export class FluxEvent {
  /** The whole revision: `main@sha1:<commit>` (Git), `v1.4.2@sha256:<digest>` (OCI). */
  public static revision(): FluxEventValue {
    return new FluxEventValue('revision()', '$(extensions.revision)', (s) => [revisionOverlay(s)]);
  }

  /** The Git commit SHA (after `sha1:` in the revision); empty for other revisions. */
  public static commit(): FluxEventValue {
    return new FluxEventValue('commit()', '$(extensions.commit)', (s) => [revisionOverlay(s),
      { stage: 1, key: 'commit', expression: "extensions.revision.contains('sha1:') ? extensions.revision.split('sha1:')[1] : ''" }],
    (s) => {
      const artifact = s.artifactKind ?? s.kind;
      if (artifact !== FluxKind.OCI_REPOSITORY && artifact !== FluxKind.BUCKET) return undefined;
      const of = artifact === s.kind ? `${s.kind} revisions have none` : `${s.kind} '${s.name}' applies a ${artifact}, whose revisions have none`;
      return problem('wrong-kind', `FluxEvent.commit() needs a Git revision, but ${of}: use FluxEvent.digest() or FluxEvent.tag()`);
    });
  }

  /** The branch of a Git revision (`main` in `main@sha1:…`, `refs/heads/` stripped); empty for tags. */
  public static branch(): FluxEventValue {
    return new FluxEventValue('branch()', '$(extensions.branch)', (s) => {
      const branch = "extensions.ref.startsWith('refs/heads/') ? extensions.ref.split('refs/heads/')[1] : extensions.ref";
      const expression = s.refKind === RefKind.TAG ? "''"
        : s.refKind === RefKind.BRANCH ? branch
          : `extensions.ref.startsWith('refs/tags/') ? '' : (${branch})`;
      return [revisionOverlay(s), REF_OVERLAY, { stage: 2, key: 'branch', expression }];
    });
  }

  /** The tag of the revision (`v1.4.2` in `v1.4.2@sha256:…`, `refs/tags/` stripped); empty for branches. */
  public static tag(): FluxEventValue {
    return new FluxEventValue('tag()', '$(extensions.tag)', (s) => {
      const tag = "extensions.ref.startsWith('refs/tags/') ? extensions.ref.split('refs/tags/')[1] : extensions.ref";
      const expression = s.refKind === RefKind.BRANCH ? "''"
        : s.refKind === RefKind.TAG ? tag
          : "extensions.ref.startsWith('refs/tags/') ? extensions.ref.split('refs/tags/')[1] : ''";
      return [revisionOverlay(s), REF_OVERLAY, { stage: 2, key: 'tag', expression }];
    });
  }

  /** The digest part of the revision (after '@'): `sha256:<digest>` for OCI artifacts, `sha1:<commit>` for Git. */
  public static digest(): FluxEventValue {
    return new FluxEventValue('digest()', '$(extensions.digest)', (s) => [revisionOverlay(s),
      { stage: 1, key: 'digest', expression: "extensions.revision.contains('@') ? extensions.revision.split('@')[1] : extensions.revision" }]);
  }

  /** A metadata entry of the event, e.g. `metadata('digest')` (the artifact digest); empty when absent. */
  public static metadata(key: string): FluxEventValue {
    // one overlay per key, and never the same for two keys: every character but [a-z0-9] is written as
    // '_' and its code point in hex ('a.b' → metadata-a_2eb, 'a_b' → metadata-a_5fb)
    const overlayKey = `metadata-${[...key].map((c) => (/[a-z0-9]/.test(c) ? c : `_${c.codePointAt(0)!.toString(16)}`)).join('')}`;
    return new FluxEventValue(`metadata('${key}')`, `$(extensions.${overlayKey})`, () => [{
      stage: 0,
      key: overlayKey,
      expression: `has(body.metadata) && ${celString(key)} in body.metadata ? body.metadata[${celString(key)}] : ''`,
    }]);
  }

  /** The name of the Flux object that sent the event. */
  public static sourceName(): FluxEventValue {
    return new FluxEventValue('sourceName()', '$(body.involvedObject.name)');
  }

  /** The namespace of the Flux object that sent the event. */
  public static sourceNamespace(): FluxEventValue {
    return new FluxEventValue('sourceNamespace()', '$(body.involvedObject.namespace)');
  }

  /** The kind of the Flux object that sent the event. */
  public static sourceKind(): FluxEventValue {
    return new FluxEventValue('sourceKind()', '$(body.involvedObject.kind)');
  }

  /** The event message, e.g. `stored artifact for commit 'Add retry to deploy step'`. */
  public static message(): FluxEventValue {
    return new FluxEventValue('message()', '$(body.message)');
  }

  /** The event reason, e.g. `NewArtifact`. */
  public static reason(): FluxEventValue {
    return new FluxEventValue('reason()', '$(body.reason)');
  }

  /**
   * The FluxEvent field a pipeline param of this name gets when the user gives no value and the param
   * has no default (`revision`, `commit`, `branch`, `tag`, `digest`, `source-name`, `source-namespace`,
   * `source-kind`, `message`).
   */
  public static forParamName(name: string): FluxEventValue | undefined {
    return Object.prototype.hasOwnProperty.call(BY_PARAM_NAME, name) ? BY_PARAM_NAME[name]() : undefined;
  }
}

/** The FluxEvent field each param name is bound to by default (see `FluxEvent.forParamName`). */
const BY_PARAM_NAME: { [name: string]: () => FluxEventValue } = {
  'revision': FluxEvent.revision,
  'commit': FluxEvent.commit,
  'branch': FluxEvent.branch,
  'tag': FluxEvent.tag,
  'digest': FluxEvent.digest,
  'source-name': FluxEvent.sourceName,
  'source-namespace': FluxEvent.sourceNamespace,
  'source-kind': FluxEvent.sourceKind,
  'message': FluxEvent.message,
};

/** A value taken from the Flux event; give it as a FluxTriggeredPipeline param. */
export class FluxEventValue {
  /** @internal */
  constructor(
    /** How it reads in messages, e.g. `commit()`. */
    public readonly label: string,
    /** The TriggerBinding value, e.g. `$(extensions.commit)`. */
    public readonly binding: string,
    private readonly overlaysFor?: (source: IFluxEventSource) => StagedOverlay[],
    private readonly problemFor?: (source: IFluxEventSource) => string | undefined,
  ) {}

  /** The CEL overlays that compute it for events of `source` (with those it depends on), if any. */
  public overlays(source: IFluxEventSource): StagedOverlay[] {
    return this.overlaysFor?.(source) ?? [];
  }

  /** Why it cannot be used with `source`, if it cannot. */
  public problem(source: IFluxEventSource): string | undefined {
    return this.problemFor?.(source);
  }
}

/*
 * What a well-formed Flux event carries (RE2 patterns, as Tekton's CEL `matches` reads them). A listener
 * admits an event only when every field its bindings use has this shape, so a value that cannot be a
 * Git ref, a commit or a digest never reaches a run. Ref names follow git-check-ref-format, narrowed
 * to a conservative charset: letters, digits and `._/+-`, no `..`, no `//`, not ending in `/` or `.lock`.
 */
const REF = '[A-Za-z0-9_+-][A-Za-z0-9._/+-]{0,254}';
const HASH = '(sha1:[0-9a-f]{40}|sha256:[0-9a-f]{64})';
/** Revision forms: `<ref>@sha1:<40 hex>`, `<ref>@sha256:<64 hex>`, `sha1:…`/`sha256:…`; legacy `<ref>/<hex>` and bare hex. */
const REVISION = `^((${REF})@)?${HASH}$|^${REF}/([0-9a-f]{40}|[0-9a-f]{64})$|^([0-9a-f]{40}|[0-9a-f]{64})$`;

/** The CEL conditions that a ref-like field is well formed (or empty, where `emptyOk`). */
function refConditions(field: string, emptyOk: boolean): string[] {
  const shape = `${field}.matches(${celString(`^${REF}$`)}) && !${field}.contains('..') && !${field}.contains('//') && ` +
    `!${field}.endsWith('/') && !${field}.endsWith('.lock')`;
  return [emptyOk ? `(${field} == '' || (${shape}))` : `(${shape})`];
}

function hashConditions(field: string, pattern: string, emptyOk: boolean): string[] {
  const shape = `${field}.matches(${celString(pattern)})`;
  return [emptyOk ? `(${field} == '' || ${shape})` : shape];
}

/** The validation of each derived field, by overlay key; `required`: a binding uses it, so it may not be empty. */
const VALIDATIONS: { [key: string]: (required: boolean) => string[] } = {
  'revision': () => [`extensions.revision.matches(${celString(REVISION)})`, "!extensions.revision.contains('..')"],
  'commit': (required) => hashConditions('extensions.commit', '^([0-9a-f]{40}|[0-9a-f]{64})$', !required),
  'digest': (required) => hashConditions('extensions.digest', `^${HASH}$`, !required),
  // a branch is empty for a tag's revision and a tag for a branch's: empty is well formed
  'ref': () => refConditions('extensions.ref', true),
  'branch': () => refConditions('extensions.branch', true),
  'tag': () => refConditions('extensions.tag', true),
  'flux-revision-id': () => [`extensions['flux-revision-id'].matches(${celString('^[0-9a-f]{12}$')})`],
};

/**
 * The CEL conditions a listener checks before it runs anything: each derived field (overlay key) has
 * the shape Flux writes, those in `required` are not empty, and free-text fields are bounded.
 * @internal
 */
export function validationConditions(keys: string[], required: string[]): string[] {
  const out: string[] = [];
  for (const key of keys) {
    if (VALIDATIONS[key]) out.push(...VALIDATIONS[key](required.includes(key)));
    else if (key.startsWith('metadata-')) out.push(`size(extensions[${celString(key)}]) <= 4096`);
  }
  return [...new Set(out)];
}

/** `ref`: the part of the revision before '@' (a branch, a tag, or `refs/…`). */
const REF_OVERLAY: StagedOverlay = {
  stage: 1, key: 'ref', expression: "extensions.revision.contains('@') ? extensions.revision.split('@')[0] : ''",
};

function revisionOverlay(source: IFluxEventSource): StagedOverlay {
  const legacy = `${FLUX_KINDS[source.kind]?.group ?? 'source.toolkit.fluxcd.io'}/revision`;
  return { stage: 0, key: 'revision', expression: `'revision' in body.metadata ? body.metadata['revision'] : body.metadata['${legacy}']` };
}

/** The CEL condition that the event carries a revision in either metadata format. */
export function hasRevisionExpr(source: IFluxEventSource): string {
  const legacy = `${FLUX_KINDS[source.kind]?.group ?? 'source.toolkit.fluxcd.io'}/revision`;
  return `has(body.metadata) && ('revision' in body.metadata || '${legacy}' in body.metadata)`;
}

/** A CEL string literal. */
export function celString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}
