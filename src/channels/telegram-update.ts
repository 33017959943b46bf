/**
 * The shape of the parts of a Telegram update the channel reads, checked before grammY sees a webhook
 * body: Telegram itself always sends these types, so a body that breaks them is forged or corrupted and
 * gets a 400 instead of a TypeError deep in the handler. Fields the channel does not read are let through
 * untouched (Bot API updates grow new ones).
 */
import { z } from 'zod/v4';

const id = z.number().int().safe();
const user = z.looseObject({ id, is_bot: z.boolean().optional(), username: z.string().optional() });
const chat = z.looseObject({ id, type: z.string() });
const entity = z.looseObject({ type: z.string(), offset: z.number().int().nonnegative(), length: z.number().int().nonnegative(), user: user.optional() });

const quotedMessage = z.looseObject({ message_id: id, chat: chat.optional(), from: user.optional() });
const message = z.looseObject({
  message_id: id,
  chat,
  from: user.optional(),
  text: z.string().optional(),
  caption: z.string().optional(),
  entities: z.array(entity).optional(),
  caption_entities: z.array(entity).optional(),
  is_topic_message: z.boolean().optional(),
  message_thread_id: id.optional(),
  reply_to_message: quotedMessage.optional(),
});

const callbackQuery = z.looseObject({ id: z.string(), from: user, data: z.string().optional(), message: z.looseObject({ message_id: id, chat, is_topic_message: z.boolean().optional(), message_thread_id: id.optional() }).optional() });

export const telegramUpdate = z.looseObject({
  update_id: id,
  message: message.optional(),
  edited_message: message.optional(),
  channel_post: message.optional(),
  callback_query: callbackQuery.optional(),
});

/** Undefined when the body can be handed to grammY; otherwise what is wrong with it. */
export function updateProblem(body: unknown): string | undefined {
  const parsed = telegramUpdate.safeParse(body);
  if (parsed.success) return undefined;
  return parsed.error.issues
    .slice(0, 3)
    .map((i) => `${i.path.join('.') || 'update'}: ${i.message}`)
    .join('; ');
}
