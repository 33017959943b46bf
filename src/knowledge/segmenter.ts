/**
 * jieba, one instance for search and for finding places: each instance holds jieba's whole dictionary, some
 * 36 MB of native memory. It knows the system dictionary, every place name of the gazetteer (so 张店区
 * stays one word, which the place finder's boundary test needs) and the knowledge's user dictionary. jieba
 * can add words but not remove them, so a changed user dictionary gets a new instance; a knowledge snapshot
 * still answering from the previous one keeps it until the snapshot is let go.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Jieba } from '@node-rs/jieba';
import { gazetteer } from './gazetteer.js';

const require = createRequire(import.meta.url);

/** The latest segmenter; `given` once a tokenizer holds it, after which its words must not change. */
let latest: { userDictionary: string; jieba: Jieba; given: boolean } | undefined;

/**
 * The segmenter with `userDictionary` (jieba's `word freq [tag]` lines) loaded, made when it differs from
 * the latest one's; without an argument, the latest one (the place finder's: configuration is checked before
 * any knowledge is opened).
 */
export function segmenter(userDictionary?: string): Jieba {
  if (userDictionary === undefined) {
    latest ??= { userDictionary: '', jieba: make(), given: false };
    return latest.jieba;
  }
  if (latest?.userDictionary !== userDictionary) {
    // One that only the place finder used so far takes the words on top instead of being made again.
    const unused = latest && !latest.given && latest.userDictionary === '' ? latest.jieba : undefined;
    latest = { userDictionary, jieba: addWords(unused ?? make(), userDictionary), given: true };
  }
  latest.given = true;
  return latest.jieba;
}

function make(): Jieba {
  // Read here rather than through the package's dict.js, which keeps the dictionary and an unused IDF table (11 MB) for good.
  const jieba = Jieba.withDict(readFileSync(require.resolve('@node-rs/jieba/dict.txt')));
  // Two-character county names (新县, 南县) stay out: as dictionary words they would split 新县城 wrongly.
  const places = [...gazetteer().names.keys()].filter((n) => n.length > 2 && jieba.cut(n, false).length > 1);
  jieba.loadDict(Buffer.from(places.map((n) => `${n} 3000 ns`).join('\n')));
  return jieba;
}

function addWords(jieba: Jieba, userDictionary: string): Jieba {
  const lines = userDictionary
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  if (lines.length) jieba.loadDict(Buffer.from(lines.join('\n')));
  return jieba;
}
