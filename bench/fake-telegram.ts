/** The fake Telegram Bot API as its own process, so that replies go somewhere off the load client's event loop. */
import { FakeTelegramApi } from '../test/fakes/telegram-api.js';

const api = await new FakeTelegramApi().start();
console.log(`listening on ${api.apiRoot}`);
process.on('SIGTERM', () => void api.close().then(() => process.exit(0)));
