/**
 * Words that carry no topic: question words, pronouns, particles. They are dropped from queries and
 * documents alike so that coverage and BM25 look only at what a question is about.
 */
export const STOPWORDS = new Set(
  `的 地 得 了 着 过 和 与 及 以及 并 并且 或 或者 等 等等 在 于 对 对于 为 为了 是 有 把 被 将 从 以 由 向 也 都 而 之 其 该 这 那 这个 那个 这些 那些 此
  什么 哪些 哪个 哪家 哪里 哪儿 哪 哪几 几 几种 几个 哪几种 哪几个 怎么 怎么样 怎样 如何 怎么办 为什么 为何 啥 咋 吗 呢 吧 啊 呀 嘛 么 哦 呗
  请问 请 麻烦 帮忙 我 我们 我司 本公司 俺 你 你们 您 咱们 他 她 它 他们 自己 大家 要 需要 能 能够 可以 可 会 想 想要 应该 应当 得到 多少 有没有 没有 有无 是否 是不是
  一下 一些 一个 一种 关于 方面 相关 有关 具体 主要 内容 意思 问题 情况 东西 事情 时候 现在 目前 如果 假如 的话 还 还有 就 又 再 才 所 所以 因为 但是 但 不过
  说 讲 提 提到 提出 规定 里 中 上 下 内 外面 个 些 吧 呢 哪方面 这方面 什么样 到底 究竟 一般 通常 知道 了解 告诉 问 想问 咨询 一 二 三 对此 用 去 来 让 给 做 搞 弄 找 跟 能不能 可不可以 行不行 有啥
  文件 政策 说法 提法 条款 文中 里面 上面 这块 那块 这边 一条 哪条 写 写了 以后 之后 将来 现在 还算 新 出 出的 能干 干啥 办 不会 会不会
  公司 我司 咱 咱家 本地 当地 我们这 附近 根本 不到 这种 这类 那种 之类 类 好像 听说 有人 别人 人家 对方 同行 客户 专门 一件 一家 几项 几家 某 某些
  最近 打算 然后 而且 另外 比如 例如 譬如 市里 政府 官方 态度 怎么说 能否 有哪些 哪一些 多长 多久 详细 介绍 说明 谁 谁来 由谁
  a an the of to in on for and or is are was were be been do does did what which who whom how why when where can could should would will shall may might must about
  there their they them it its this that these those i we you our your my me us please tell say says said any some have has had with from by as at into than if not no
  policy policies document documents mention mentions mentioned official stance city local government our us we help take part run apply under
  there here any also just get got want wants need needs know tell me anything something kind kinds type types way ways`
    .split(/\s+/)
    .filter(Boolean),
);
