/** The fake WeCom API as its own process (the benchmark keeps it off the load client's event loop). */
import { FakeWecomApi } from '../test/fakes/wecom-api.js';

const api = await new FakeWecomApi().start();
// The load client signs its callbacks in its own process: this fake never issued their tokens.
api.checkEventTokens = false;
console.log(`listening on ${api.apiRoot}`);
process.on('SIGTERM', () => void api.stop().then(() => process.exit(0)));
