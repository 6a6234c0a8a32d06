/** Two versions of a published folder: b changes two files, drops one and adds one. */
export function variantFiles(variant: 'a' | 'b'): Map<string, string> {
  const big = (tag: string) => `# ${tag}\n${'x: '.padEnd(200_000, 'y')}\n`; // large enough that a partial write would show
  return variant === 'a'
    ? new Map([['ci.k8s.yaml', big('ci a')], ['flux-system.k8s.yaml', big('flux a')], ['old.k8s.yaml', big('old a')]])
    : new Map([['ci.k8s.yaml', big('ci b')], ['flux-system.k8s.yaml', big('flux b')], ['new.k8s.yaml', big('new b')]]);
}

/** What is wrong with `files` (a folder's content) as a published folder: it must be all of a, all of b, or a mix of whole files. */
export function publishProblems(files: { [name: string]: string } | undefined): string[] {
  if (!files) return ['the folder is missing'];
  const a = variantFiles('a');
  const b = variantFiles('b');
  const problems: string[] = [];
  for (const [name, content] of Object.entries(files)) {
    if (content !== a.get(name) && content !== b.get(name)) problems.push(`${name} is partial or foreign (${content.length} bytes)`);
  }
  for (const name of ['ci.k8s.yaml', 'flux-system.k8s.yaml']) if (!(name in files)) problems.push(`${name} is missing`);
  if (!('old.k8s.yaml' in files) && !('new.k8s.yaml' in files)) problems.push('neither old.k8s.yaml nor new.k8s.yaml is there');
  return problems;
}
