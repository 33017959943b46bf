/** The fake Feishu open API as its own process (the benchmark keeps it off the load client's event loop). */
import { FakeFeishuApi } from '../test/fakes/feishu-api.js';

const api = await new FakeFeishuApi().start();
console.log(`listening on ${api.baseUrl}`);
process.on('SIGTERM', () => void api.stop().then(() => process.exit(0)));
