/**
 * `npm start`: the composition root and the only reader of configuration. Starts the HTTP service, the
 * queue worker and sender and the retention purge; SIGTERM/SIGINT drain and exit within 10 s.
 */
import { pino } from 'pino';
import { startService, type ChannelPlugin } from './bootstrap.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { usePrivateUmask } from './store/file-modes.js';

/** Kubernetes waits 30 s before SIGKILL; leave plenty of that unused. */
const SHUTDOWN_DEADLINE_MS = 10_000;

async function main(): Promise<void> {
  usePrivateUmask();
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(error.message);
    process.exit(1);
  }
  const channels: ChannelPlugin[] = [];
  // Long connection by default; webhook mode adds POST /webhooks/feishu (config refuses it without keys).
  // Each platform's SDK is loaded only when it is configured (the Lark SDK alone holds some 60 MB).
  if (config.feishu) {
    const { FeishuChannel } = await import('./channels/feishu.js');
    channels.push(new FeishuChannel(config.feishu));
  }
  // Long polling by default; webhook mode adds POST /webhooks/telegram (config refuses it without the secret).
  // At start the channel reads getMe, registers its commands and logs what privacy mode hides in groups.
  if (config.telegram) {
    const { TelegramChannel } = await import('./channels/telegram.js');
    channels.push(new TelegramChannel({ ...config.telegram, log: pino({ level: config.logLevel, name: 'telegram' }) }));
  }
  // WeCom 微信客服: GET|POST /webhooks/wechat (config refuses a partial setup, naming what is missing).
  if (config.wechat) {
    const { WechatChannel } = await import('./channels/wechat/channel.js');
    channels.push(new WechatChannel(config.wechat));
  }
  // What start-up is doing, on stdout before the JSON logs take over (a fresh data directory takes longest).
  const service = await startService(config, { channels, progress: (step) => console.log(`ip-consult-bot: ${step}`) });
  console.log(`ip-consult-bot listening on ${service.url}`);

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    service.app.log.info({ signal }, 'shutting down');
    setTimeout(() => {
      console.error(`ip-consult-bot: shutdown took longer than ${SHUTDOWN_DEADLINE_MS / 1000} s, exiting`);
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS).unref();
    service.stop().then(
      () => {
        console.log(`ip-consult-bot stopped (${signal})`);
        process.exit(0);
      },
      (error: unknown) => {
        console.error('ip-consult-bot: shutdown failed:', error);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  console.error(`ip-consult-bot failed to start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
