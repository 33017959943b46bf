/**
 * Which passwords staff may choose (ASVS 5 V6.2): at least 12 characters, at most 256, not containing the
 * username, and not easy to guess as zxcvbn-ts estimates it with its list of common passwords, names and
 * words (offline: the lists ship in @zxcvbn-ts/language-common). Score 3 of 4 is "safely unguessable"
 * against an offline attack on a slow hash; `aaaaaaaaaaaa` scores 0, `password1234` 1.
 */
import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import * as common from '@zxcvbn-ts/language-common';

export const MIN_PASSWORD_LENGTH = 12;
export const MAX_PASSWORD_LENGTH = 256;
const MIN_SCORE = 3;

export type PasswordProblem = 'short' | 'long' | 'contains_username' | 'guessable';

let estimator: ZxcvbnFactory | undefined;

/** What is wrong with `password` for the account `username`, or undefined when it may be used. */
export function passwordProblem(password: string, username: string, displayName = ''): PasswordProblem | undefined {
  if ([...password].length < MIN_PASSWORD_LENGTH) return 'short';
  if ([...password].length > MAX_PASSWORD_LENGTH) return 'long';
  if (username && password.toLowerCase().includes(username.toLowerCase())) return 'contains_username';
  // Built on first use: the dictionaries take some 20 MB, which the service never needs without a sign-in.
  estimator ??= new ZxcvbnFactory({ dictionary: { ...common.dictionary }, graphs: common.adjacencyGraphs });
  const context = [username, displayName, 'ipcb', 'ip-consult-bot', 'console', 'zibo'].filter(Boolean);
  return estimator.check(password, context).score < MIN_SCORE ? 'guessable' : undefined;
}

/** Every rule, as the console's password form and the admin command state them before anyone is refused. */
export const PASSWORD_RULES: { zh: string; en: string }[] = [
  { zh: `至少 ${MIN_PASSWORD_LENGTH} 个字符，最多 ${MAX_PASSWORD_LENGTH} 个字符`, en: `${MIN_PASSWORD_LENGTH} to ${MAX_PASSWORD_LENGTH} characters` },
  { zh: '不能包含用户名（不区分大小写）', en: 'must not contain the username (in any letter case)' },
  { zh: '不能太容易被猜中：常见密码、重复字符、键盘顺序或常见密码加数字都不行；建议用几个不相关的词组成', en: 'must not be easy to guess: no common password, repetition, keyboard pattern or common password plus digits; several unrelated words work' },
];

/** The problem for the console (Chinese) and the admin command (English). */
export const PASSWORD_PROBLEMS: Record<PasswordProblem, { zh: string; en: string }> = {
  short: { zh: `密码至少 ${MIN_PASSWORD_LENGTH} 个字符。`, en: `at least ${MIN_PASSWORD_LENGTH} characters` },
  long: { zh: `密码最多 ${MAX_PASSWORD_LENGTH} 个字符。`, en: `at most ${MAX_PASSWORD_LENGTH} characters` },
  contains_username: { zh: '密码不能包含用户名。', en: 'must not contain the username' },
  guessable: { zh: '密码太容易被猜中（常见密码、重复或键盘顺序等），请换一个更长、更少见的密码，例如几个不相关的词。', en: 'too easy to guess (a common password, a repetition or a keyboard pattern); choose a longer, less common one, such as several unrelated words' },
};
