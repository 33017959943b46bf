/**
 * The slices of Feishu events the channel reads, as schemas checked at the door: a verified event whose
 * fields have the wrong types (forged with a leaked key, or corrupted) is refused with a 400 instead of
 * failing deep in the handler. Fields not read are let through (Feishu adds new ones).
 */
import { z } from 'zod/v4';

const text = z.string().max(1_000_000);

/** The slice of a flattened `im.message.receive_v1` (header fields spread beside the event) that is read. */
export const feishuMessageEvent = z.looseObject({
  event_id: text.optional(),
  app_id: text.optional(),
  sender: z.looseObject({ sender_id: z.looseObject({ open_id: text.optional() }).optional(), sender_type: text.optional() }).optional(),
  message: z
    .looseObject({
      message_id: text.optional(),
      root_id: text.optional(),
      parent_id: text.optional(),
      thread_id: text.optional(),
      chat_id: text.optional(),
      chat_type: text.optional(),
      message_type: text.optional(),
      content: text.optional(),
      mentions: z.array(z.looseObject({ key: text.optional(), id: z.looseObject({ open_id: text.optional() }).optional(), name: text.optional() })).optional(),
    })
    .optional(),
});
export type FeishuMessageEvent = z.infer<typeof feishuMessageEvent>;

/** The slice of a flattened `card.action.trigger` that is read. */
export const feishuCardActionEvent = z.looseObject({
  event_id: text.optional(),
  token: text.optional(),
  operator: z.looseObject({ open_id: text.optional() }).optional(),
  action: z.looseObject({ value: z.unknown() }).optional(),
  context: z.looseObject({ open_message_id: text.optional(), open_chat_id: text.optional() }).optional(),
});
export type FeishuCardActionEvent = z.infer<typeof feishuCardActionEvent>;

/** The JSON inside `message.content`: a text message, or a rich-text post of lines of elements. */
const textContent = z.looseObject({ text: z.string() });
const postContent = z.looseObject({
  title: z.string().optional(),
  content: z.array(z.array(z.looseObject({ tag: z.string().optional(), text: z.string().optional(), user_id: z.string().optional() }))).optional(),
});
export const messageContent = { text: textContent, post: postContent };

/** A verified event that is not what its type says. */
export class MalformedFeishuEvent extends Error {
  constructor(readonly problem: string) {
    super(`malformed Feishu event: ${problem}`);
    this.name = 'MalformedFeishuEvent';
  }
}

/** The event parsed against its schema, or a MalformedFeishuEvent naming the first fields that are wrong. */
export function parseEvent<T>(schema: z.ZodType<T>, data: unknown): T {
  const parsed = schema.safeParse(data);
  if (parsed.success) return parsed.data;
  throw new MalformedFeishuEvent(parsed.error.issues.slice(0, 3).map((i) => `${i.path.join('.') || 'event'}: ${i.message}`).join('; '));
}
