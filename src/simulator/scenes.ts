/**
 * What `get_scene` answers: the "全部" pseudo-scene first (a string value, as in the document), then real
 * Mini Program scene values (numbers) and one more string pseudo-scene, as the realtime-log console offers them.
 */
export const SIMULATED_SCENES: ReadonlyArray<{ name: string; value: string | number }> = [
  { name: '全部', value: '@_all' },
  { name: '小程序历史列表', value: 1001 },
  { name: '搜索', value: 1005 },
  { name: '单人聊天会话中的小程序消息卡片', value: 1007 },
  { name: '群聊会话中的小程序消息卡片', value: 1008 },
  { name: '扫描二维码', value: 1011 },
  { name: '长按图片识别二维码', value: 1012 },
  { name: '小程序订阅消息', value: 1014 },
  { name: '前往小程序体验版的入口页', value: 1017 },
  { name: '公众号 profile 页相关小程序列表', value: 1020 },
  { name: '安卓系统桌面图标', value: 1023 },
  { name: '公众号自定义菜单', value: 1035 },
  { name: '小程序打开小程序', value: 1037 },
  { name: '从另一个小程序返回', value: 1038 },
  { name: '公众号模板消息', value: 1043 },
  { name: '扫描小程序码', value: 1047 },
  { name: '公众号文章', value: 1058 },
  { name: '微信聊天主界面下拉', value: 1089 },
  { name: '微信聊天主界面下拉,「我的小程序」栏', value: 1104 },
  { name: '朋友圈内打开“单页模式”', value: 1154 },
  { name: '其他', value: '@_other' },
];
