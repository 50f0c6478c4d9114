// The names of China's provinces, municipalities, autonomous regions and SARs as the server
// emits them (src/cairn/reports/widgets.py PROVINCES), and the short names the shipped map's
// regions carry (public/maps/china.json: 广东, 内蒙古).

export const PROVINCES = [
  '北京市', '天津市', '河北省', '山西省', '内蒙古自治区', '辽宁省', '吉林省', '黑龙江省',
  '上海市', '江苏省', '浙江省', '安徽省', '福建省', '江西省', '山东省', '河南省', '湖北省',
  '湖南省', '广东省', '广西壮族自治区', '海南省', '重庆市', '四川省', '贵州省', '云南省',
  '西藏自治区', '陕西省', '甘肃省', '青海省', '宁夏回族自治区', '新疆维吾尔自治区',
  '台湾省', '香港特别行政区', '澳门特别行政区',
] as const

const SUFFIXES = ['特别行政区', '壮族自治区', '回族自治区', '维吾尔自治区', '自治区', '省', '市']

/** 广东省 → 广东 (as widgets.py ``_short``). */
export function shortName(full: string): string {
  for (const s of SUFFIXES) if (full.endsWith(s)) return full.slice(0, -s.length)
  return full
}

/** The map's region name → the full name: the map series' ``nameMap``. */
export const FULL_NAMES: Record<string, string> = Object.fromEntries(PROVINCES.map((p) => [shortName(p), p]))
