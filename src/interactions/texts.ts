/** Fixed replies to chat commands, the same on every platform. */

export const HELP_TEXT = [
  '您好！我是知识产权政策咨询助手，根据已收录的政策文件回答企业知识产权问题，并注明出处（文件和条款）。',
  '',
  '用法：',
  '• 私聊：直接发送问题。',
  '• 群聊：@我 提问、回复我的消息，或发送 /ask 问题。',
  '',
  '命令：',
  '/ask 问题 — 提问',
  '/human — 申请转人工（知识产权服务机构）',
  '/privacy — 隐私说明，撤回转介同意',
  '/forget — 删除我的咨询记录',
  '/help — 显示本说明',
  '',
  '回答仅供参考，不构成法律意见。',
].join('\n');

export const PRIVACY_TEXT = [
  '隐私说明',
  '• 保存的内容：您的问题和回答（手机号、身份证号、邮箱、银行卡号等会先打码）、引用的条款、您的平台用户 ID 和会话 ID、您对回答的评价。',
  '• 用途：回答追问、改进回答质量、供主管部门审阅咨询记录。',
  '• 保存期限：到期自动删除（默认 180 天）。',
  '• 转人工：只有在您另行同意、并告知具体机构、用途和所提供的信息后，才会把您的问题交给知识产权服务机构。您留下的联系方式加密保存，案件结束或撤回同意后删除。',
  '• 撤回同意：在本消息下点“撤回”即撤回对某个转介的同意，机构会被通知删除您的信息；发送 /forget 删除您在本平台的全部咨询记录（进行中的转介一并撤回）。',
].join('\n');

export const ASK_USAGE = '请在 /ask 后面写上您的问题，例如：/ask 知识产权质押融资有哪些支持政策？';
export const ASK_FIRST = '请先提出您的问题，再发送 /human 申请转人工。';
export const CASE_GONE = '找不到这个案件（可能已结束或已删除）。';
export const CONSULTATION_GONE = '这条回答已不存在（可能已被删除）。';
export const REFERRAL_NOTED = '提问人已申请转人工。';
export const forgotten = (n: number, withdrawn: number) =>
  `${n ? `已删除您的 ${n} 条咨询记录及相关评价。之后的提问将不再参考以前的对话。` : '没有您的咨询记录需要删除。'}${withdrawn ? `已撤回 ${withdrawn} 个进行中的转介，并通知机构删除您的信息。` : ''}`;
