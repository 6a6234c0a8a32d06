/**
 * Marked lines in hostile YAML, as the promotion steps' scanner (scan.awk) must read them: the cases it refuses
 * (with the line it names and a part of its reason) and those it reads. Shared by the promote step's tests and
 * `versions`', which both run that scanner.
 */
import { promotionMarker } from '../../src';

const MARK = promotionMarker('web');

/** `[case, file content, the line named, a part of the reason]`: refused. */
export const MARKER_REFUSED: Array<[string, string, number, string]> = [
  ['a block scalar at the root (`|` on its own line)', `|\n  newTag: 1.3.0 ${MARK}\n`, 2, 'inside a block scalar (opened on line 1)'],
  ['a block scalar on the `---` line', `--- |\n  newTag: 1.3.0 ${MARK}\n`, 2, 'inside a block scalar (opened on line 1)'],
  ['a folded block scalar on the `---` line, text at column 0', `--- >\nnewTag: 1.3.0 ${MARK}\n`, 2, 'inside a block scalar (opened on line 1)'],
  ['a tab after the colon', `newTag:\t1.3.0 ${MARK}\n`, 1, 'a tab'],
  ['a tab as indentation', `images:\n\tnewTag: 1.3.0 ${MARK}\n`, 2, 'a tab'],
  ['an anchor on the value', `newTag: &v 1.3.0 ${MARK}\n`, 1, 'the value &v 1.3.0 is not a version'],
  ['an alias as the value', `base: &v 1.3.0\nnewTag: *v ${MARK}\n`, 2, 'the value *v is not a version'],
  ['a tag on the value', `newTag: !!str 1.3.0 ${MARK}\n`, 1, 'the value !!str 1.3.0 is not a version'],
  ['an anchor on the key', `&k newTag: 1.3.0 ${MARK}\n`, 1, 'a list item or a value without a key'],
  ['a complex key', `? newTag: 1.3.0 ${MARK}\n`, 1, 'a list item or a value without a key'],
  ['the marker glued to the value', `newTag: 1.3.0#${MARK.slice(1)}\n`, 1, 'the marker is inside a value'],
  ['the marker and more text', `newTag: 1.3.0 ${MARK} "x"\n`, 1, 'the comment must be exactly'],
  ['two markers', `newTag: 1.3.0 ${MARK} ${MARK}\n`, 1, 'the comment must be exactly'],
  ['the marker in a quoted value', `newTag: '1.3.0 ${MARK}'\n`, 1, 'the marker is inside a value'],
  ['the marker alone on a line', `newTag: 1.3.0\n${MARK}\n`, 2, 'a list item or a value without a key'],
  ['a multi-line plain scalar\'s last line', `note: promote\n  this ${MARK}\n`, 2, 'a list item or a value without a key'],
  ['the value on the next line', `newTag:\n  1.3.0 ${MARK}\n`, 2, 'a list item or a value without a key'],
  ['a double-quoted value with an escape', `newTag: "1.3\\u002e0" ${MARK}\n`, 1, 'is not a version'],
  ['a quoted string left open on an earlier line', `a: "one\n  newTag: 1.3.0 ${MARK}\n  two"\n`, 2, 'inside a quoted string that spans lines'],
  ['a key with a space before the colon', `newTag : 1.3.0 ${MARK}\n`, 1, 'a list item or a value without a key'],
  ['a list item', `tags:\n  - 1.3.0 ${MARK}\n`, 2, 'a list item or a value without a key'],
  ['a flow collection', `images: [{newTag: 1.3.0}] ${MARK}\n`, 1, 'a flow collection'],
  ['a value that is no version', `newTag: "1.3.0$(id)" ${MARK}\n`, 1, 'is not a version'],
  // Flux's image policy marker with this one: only the two objects Flux's docs write, spaced as they write them
  ['a combined marker respaced', 'newTag: 1.3.0 # {"$imagepolicy": "flux-system:web:tag","$promotion": "web"}\n', 1, 'the comment must be exactly'],
  ['a combined marker whose policy has no namespace', 'newTag: 1.3.0 # {"$imagepolicy": "web", "$promotion": "web"}\n', 1, 'the comment must be exactly'],
  ['a combined marker whose policy names no field Flux sets', 'newTag: 1.3.0 # {"$promotion": "web", "$imagepolicy": "flux-system:web:tags"}\n', 1, 'the comment must be exactly'],
  ['a combined marker with a quote in the policy', 'newTag: 1.3.0 # {"$imagepolicy": "flux-system:w\\"eb", "$promotion": "web"}\n', 1, 'the comment must be exactly'],
  ['a combined marker with a third key', 'newTag: 1.3.0 # {"$imagepolicy": "flux-system:web", "$promotion": "web", "$x": "y"}\n', 1, 'the comment must be exactly'],
  ['a combined marker naming the app twice', 'newTag: 1.3.0 # {"$imagepolicy": "flux-system:web", "$promotion": "web", "$promotion": "web"}\n', 1, 'the comment must be exactly'],
  ['a combined marker and more text', 'newTag: 1.3.0 # {"$promotion": "web", "$imagepolicy": "flux-system:web"} x\n', 1, 'the comment must be exactly'],
];

/** `[case, file content]`: read (the marked value is 1.3.0, of app `web`). */
export const MARKER_READ: Array<[string, string]> = [
  ['a comment with quotes on an earlier line', `a: "it's" # "x\nb: 'say "hi"' # it's\nnewTag: 1.3.0 ${MARK}\n`],
  ['the same field in two documents', `---\nnewTag: 1.3.0 ${MARK}\n...\n---\nkind: B\nnewTag: 1.3.0 ${MARK}\n`],
  ['a key with spaces', `new tag: 1.3.0 ${MARK}\n`],
  ['a quoted key with a `#` and a colon', `"a #b: c": 1.3.0 ${MARK}\n`],
  ['a list of lists', `- - newTag: '1.3.0' ${MARK}\n`],
  ['a tab before the comment', `newTag: 1.3.0\t${MARK}\n`],
  ['trailing spaces after the marker', `newTag: 1.3.0 ${MARK}   \n`],
  ['a block scalar before, at its end', `script: |\n  echo "\n  x\nnewTag: 1.3.0 ${MARK}\n`],
  ['a directive and a document start', `%YAML 1.2\n---\nnewTag: 1.3.0 ${MARK}\n`],
  ['CRLF, the marker on the last line without a line break', `a: 1\r\nnewTag: 1.3.0 ${MARK}`],
  ['no line break after the last line', `newTag: 1.3.0 ${MARK}`],
  ['a UTF-8 byte-order mark', `\ufeffnewTag: 1.3.0 ${MARK}\n`],
  ['another app\'s marker that mentions "web" nowhere as its name', `other: 1.0.0 # {"$promotion": "web-2"}\nnewTag: 1.3.0 ${MARK}\n`],
  ['Flux\'s image policy marker with it, the policy first', 'newTag: 1.3.0 # {"$imagepolicy": "flux-system:web:tag", "$promotion": "web"}\n'],
  ['Flux\'s image policy marker with it, the promotion first', 'images:\n  - newTag: "1.3.0" # {"$promotion": "web", "$imagepolicy": "flux-system:web-policy"}\n'],
  ['a combined marker of another app whose policy names "web"', `other: 1.0.0 # {"$imagepolicy": "flux-system:web:tag", "$promotion": "api"}\nnewTag: 1.3.0 ${MARK}\n`],
  ['a very long line before it', `a: ${'x'.repeat(100_000)}\nnewTag: 1.3.0 ${MARK}\n`],
];

