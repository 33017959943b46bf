import type { NewConsultation } from '../../src/store/consultations.js';

let next = 0;

/** A plausible consultation; every call gets a new message id unless one is given. */
export function sampleConsultation(overrides: Partial<NewConsultation> = {}): NewConsultation {
  next++;
  return {
    conversationId: 'telegram:-100200',
    channel: 'telegram',
    chatId: '-100200',
    userId: 'user-a',
    messageId: `msg-${next}`,
    question: `商标被抢注了怎么办？(${next})`,
    answer: '根据淄市监知促字〔2023〕130号第七条，可以向知识产权服务机构咨询。',
    outcome: 'answered',
    citations: [
      {
        documentId: 'zibo-ip-service-opinions-2023',
        title: '关于加快推动知识产权服务业高质量发展的实施意见',
        docNumber: '淄市监知促字〔2023〕130号',
        section: '七、推动知识产权服务业优化升级',
        article: '七',
        excerpt: '推动知识产权服务业优化升级',
        score: 0.82,
      },
    ],
    passages: [
      { chunkId: 'zibo-ip-service-opinions-2023#七', documentId: 'zibo-ip-service-opinions-2023', article: '七', section: '七、推动知识产权服务业优化升级', score: 0.82, coverage: 0.6 },
    ],
    confidence: 0.74,
    answerer: 'extractive',
    latencyMs: 37,
    topics: ['商标'],
    ...overrides,
  };
}
