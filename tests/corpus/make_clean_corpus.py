"""Generate tests/corpus/clean_live_speech.txt: ordinary, compliant live-commerce host speech.

Every generated line must be clean: after allow phrases are taken into account it contains no
lexicon term at all (plain substring check over NFKC + casefolded text, so this is stricter than
the matcher's token-aware check). The corpus is the regression set for false positives.

    python3 tests/corpus/make_clean_corpus.py            # write the file, then check it
    python3 tests/corpus/make_clean_corpus.py --check    # only check the existing file

Exit status 1 (with the offending line and term printed) if any line is not clean.
Stdlib plus PyYAML; deterministic (fixed seed, no time or hash dependence).
"""
from __future__ import annotations

import argparse
import random
import string
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from check_lexicons import load_lexicon, uncovered_hits  # noqa: E402

SEED = 20261126
TARGET_LINES = 2400
MAX_PER_TEMPLATE = 24
NEAR_DUPLICATE_JACCARD = 0.8
OUTPUT = Path(__file__).resolve().parent / "clean_live_speech.txt"

# ---------------------------------------------------------------------------------------------
# Slot values shared by every category
# ---------------------------------------------------------------------------------------------

SLOTS: dict[str, list[str]] = {
    "greet": ["早上好", "中午好", "下午好", "晚上好", "大家好", "哈喽大家好"],
    "aud": ["家人们", "朋友们", "宝子们", "姐妹们", "兄弟们", "各位朋友", "直播间的朋友们", "新来的朋友们"],
    "nick": ["小鹿", "阿杰", "橙子", "晴天", "木木", "大鹏", "豆豆", "小雨", "阿宁", "可乐", "糖糖", "老周",
             "七七", "阿福", "小满", "年年", "一帆", "栗子", "青柠", "米粒", "阿远", "星星", "小北", "南风"],
    "city": ["成都", "杭州", "郑州", "沈阳", "昆明", "西安", "长沙", "南宁", "太原", "青岛", "厦门", "兰州",
             "合肥", "南昌", "贵阳", "济南", "石家庄", "哈尔滨", "乌鲁木齐", "海口", "呼和浩特", "宁波"],
    "host": ["小林", "阿雅", "大伟", "佳佳", "老陈", "晓晓", "阿强", "小敏"],
    "helper": ["助理小李", "场控阿泽", "运营小吴", "助播菲菲"],
    "clock": ["八点", "八点半", "九点", "九点半", "十点", "十点半", "七点半", "晚上八点"],
    "weekday": ["周一", "周二", "周三", "周四", "周五", "周六", "周日"],
    "courier": ["中通", "圆通", "韵达", "申通", "顺丰", "邮政", "京东快递", "极兔"],
    "hours": ["24", "48", "72"],
    "days": ["3", "5", "7", "10", "15"],
    "remote": ["新疆、西藏", "青海、西藏", "新疆、内蒙古部分地区", "港澳台和海外"],
    "height": [str(h) for h in range(152, 186, 2)],
    "weight": [str(w) for w in range(86, 170, 4)],
    "count": ["两", "三", "四", "五"],
    "minutes": ["五分钟", "十分钟", "一会儿", "半个小时"],
    "thanks_for": ["点的关注", "送的小心心", "送的礼物", "的点赞", "的分享", "一直陪着我们"],
}

# Platform-specific ways to reach the platform's own product list.
CART = {
    "wechat": ["点左下角的购物袋", "点屏幕下方的小店图标", "点直播间下方的商品列表"],
    "douyin": ["点下方的小黄车", "点左下角的购物车", "点小黄车里的商品列表"],
    "taobao": ["点左下角的宝贝口袋", "点屏幕下方的购物袋", "点宝贝口袋里的商品列表"],
}

# ---------------------------------------------------------------------------------------------
# Product catalogue (facts a host would read from the detail page)
# ---------------------------------------------------------------------------------------------

APPAREL = [
    dict(name="圆领短袖T恤", fabric="精梳棉", comp="100%棉", colours=["白色", "雾霾蓝", "燕麦色", "黑色"],
         sizes=["S码", "M码", "L码", "XL码", "XXL码"], size_range="S码到XXL码", body=True, fit="版型偏宽松，肩线微微落肩", care="冷水洗，反面晾晒", price=[59, 69, 79]),
    dict(name="高腰阔腿裤", fabric="垂感西装面料", comp="聚酯纤维68%、粘纤28%、氨纶4%", colours=["黑色", "卡其色", "浅灰色"],
         sizes=["26码", "27码", "28码", "29码", "30码", "32码"], size_range="26码到32码", body=True, fit="腰头后面有一段松紧", care="可以机洗，装洗衣袋", price=[99, 109, 129]),
    dict(name="针织开衫", fabric="羊毛混纺纱线", comp="羊毛30%、腈纶70%", colours=["米白", "焦糖色", "墨绿色"],
         sizes=["均码"], size_range="只有均码", body=True, fit="均码，身高155到170都能穿", care="手洗，平铺晾干", price=[139, 159]),
    dict(name="碎花雪纺连衣裙", fabric="雪纺", comp="100%聚酯纤维", colours=["蓝底白花", "黄底碎花", "黑底小花"],
         sizes=["S码", "M码", "L码"], size_range="S码、M码、L码三个", body=True, fit="腰线偏高，裙长到小腿", care="手洗或者轻柔机洗", price=[119, 139]),
    dict(name="水洗牛仔外套", fabric="水洗牛仔布", comp="100%棉", colours=["浅蓝", "深蓝"],
         sizes=["M码", "L码", "XL码"], size_range="M码到XL码", body=True, fit="短款，适合搭配高腰裤", care="第一次洗会有少量浮色，单独洗", price=[149, 169]),
    dict(name="短款羽绒服", fabric="白鸭绒填充，含绒量90%，充绒量150克", comp="面料100%锦纶", colours=["黑色", "米白", "雾粉"],
         sizes=["S码", "M码", "L码", "XL码"], size_range="S码到XL码", body=True, fit="短款，下摆有抽绳", care="建议干洗或者手洗", price=[399, 459]),
    dict(name="长绒棉衬衫", fabric="长绒棉", comp="100%棉", colours=["白色", "浅蓝条纹", "燕麦色"],
         sizes=["S码", "M码", "L码", "XL码"], size_range="S码到XL码", body=True, fit="标准版型，可以塞进裤子里", care="机洗后挂起来晾，减少褶皱", price=[129, 149]),
    dict(name="加绒卫衣", fabric="加绒毛圈布", comp="棉80%、聚酯纤维20%", colours=["灰色", "藏青", "杏色"],
         sizes=["M码", "L码", "XL码", "XXL码"], size_range="M码到XXL码", body=True, fit="落肩宽松款", care="反面机洗，不要用烘干", price=[89, 99, 119]),
    dict(name="速干运动裤", fabric="速干针织面料", comp="100%聚酯纤维", colours=["黑色", "深灰", "藏蓝"],
         sizes=["M码", "L码", "XL码", "XXL码"], size_range="M码到XXL码", body=True, fit="束脚设计，两侧有拉链口袋", care="可以机洗", price=[69, 79]),
    dict(name="真丝睡衣套装", fabric="桑蚕丝", comp="100%桑蚕丝", colours=["香槟色", "雾蓝", "酒红"],
         sizes=["M码", "L码", "XL码"], size_range="M码到XL码", body=True, fit="长袖长裤两件套", care="冷水手洗，阴凉处晾干", price=[399, 429]),
    dict(name="羊绒围巾", fabric="羊绒", comp="100%羊绒", colours=["驼色", "酒红", "深灰", "米白"],
         sizes=["一个尺寸"], size_range="一个尺寸，180厘米×30厘米", body=False, fit="长度可以绕脖子两圈", care="手洗或者干洗", price=[299, 329]),
    dict(name="亚麻衬衫", fabric="亚麻", comp="100%亚麻", colours=["本白", "浅卡其", "雾蓝"],
         sizes=["M码", "L码", "XL码"], size_range="M码到XL码", body=True, fit="宽松版，透气", care="亚麻天然会有褶皱，挂起来晾就好", price=[159, 179]),
    dict(name="儿童纯棉套装", fabric="纯棉罗纹", comp="100%纯棉", colours=["奶黄", "浅绿", "雾粉"],
         sizes=["90码", "100码", "110码", "120码", "130码"], size_range="90码到130码", body=False, fit="裤腰是松紧的", care="可以机洗", price=[79, 89]),
    dict(name="冰丝防晒衣", fabric="冰丝面料", comp="锦纶88%、氨纶12%", colours=["白色", "浅紫", "薄荷绿"],
         sizes=["均码"], size_range="只有均码", body=True, fit="带帽檐，袖口有拇指扣", care="手洗，不要暴晒", price=[79, 99]),
    dict(name="五双装棉袜", fabric="精梳棉袜", comp="棉75%、锦纶23%、氨纶2%", colours=["黑白灰混装", "彩色混装"],
         sizes=["35到39码", "39到44码"], size_range="35到39码和39到44码两种", body=False, fit="中筒款", care="可以机洗", price=[29, 35]),
    dict(name="牛皮休闲鞋", fabric="牛皮鞋面，橡胶大底", comp="鞋面牛皮、鞋底橡胶", colours=["白色", "黑色", "米色"],
         sizes=["35码", "36码", "37码", "38码", "39码", "40码"], size_range="35码到40码", body=False, fit="正常码，脚背高的可以拍大一码", care="用湿布擦拭，不要水洗", price=[229, 259]),
]

FOOD = [
    dict(name="原味腰果", spec="500克一罐", shelf="12个月", origin="越南", ingr="腰果、食用盐", store="开罐后密封，放阴凉干燥处",
         taste="口感脆，咸味很淡", price=[49, 59]),
    dict(name="手工挂面", spec="1千克一袋", shelf="18个月", origin="河南", ingr="小麦粉、水、食用盐", store="常温避光保存",
         taste="煮五分钟左右，口感筋道", price=[19, 25]),
    dict(name="五香牛肉干", spec="250克一袋", shelf="9个月", origin="内蒙古", ingr="牛肉、白砂糖、食用盐、香辛料", store="开袋后尽快吃完",
         taste="有嚼劲，偏干", price=[69, 79]),
    dict(name="新疆灰枣", spec="1千克一箱", shelf="12个月", origin="新疆若羌", ingr="灰枣", store="放冰箱冷藏口感更脆",
         taste="肉厚，甜度适中", price=[39, 45]),
    dict(name="东北大米", spec="5千克一袋", shelf="12个月", origin="黑龙江五常", ingr="大米", store="真空包装，拆开后放米桶",
         taste="煮出来软糯，有米香", price=[59, 69]),
    dict(name="赣南脐橙", spec="5斤装，果径75到80毫米", shelf="常温7到10天", origin="江西赣州", ingr="脐橙", store="放阴凉通风处",
         taste="水分足，酸甜口", price=[29, 35]),
    dict(name="巴氏杀菌鲜牛奶", spec="950毫升一瓶", shelf="冷藏7天", origin="河北", ingr="生牛乳", store="全程冷藏，2到6度保存",
         taste="奶味清淡", price=[16, 19]),
    dict(name="螺蛳粉", spec="三袋装，每袋330克", shelf="6个月", origin="广西柳州", ingr="米粉、酸笋、腐竹、花生等", store="常温保存",
         taste="酸辣口，可以少放辣油包", price=[29, 35]),
    dict(name="即食燕麦片", spec="1千克一袋", shelf="12个月", origin="河北张家口", ingr="燕麦", store="开袋后夹好封口夹",
         taste="开水冲泡三分钟就能吃", price=[25, 29]),
    dict(name="挂耳咖啡", spec="10克×20包", shelf="12个月", origin="云南普洱", ingr="咖啡豆", store="常温避光",
         taste="中度烘焙，偏坚果和焦糖风味", price=[49, 59]),
    dict(name="海苔脆片", spec="40克×5包", shelf="10个月", origin="福建", ingr="紫菜、芝麻、白砂糖、食用植物油", store="开袋后尽快吃完",
         taste="薄脆，甜咸口", price=[25, 29]),
    dict(name="牛油火锅底料", spec="500克一袋", shelf="18个月", origin="重庆", ingr="牛油、辣椒、花椒、豆瓣酱等", store="常温保存",
         taste="中辣，一袋能煮四到六人份", price=[29, 35]),
    dict(name="广式腊肠", spec="500克一袋", shelf="6个月", origin="广东中山", ingr="猪肉、白砂糖、白酒、食用盐", store="冷藏保存",
         taste="甜口，蒸十五分钟切片", price=[45, 55]),
    dict(name="烟台苹果", spec="8斤装，果径80毫米以上", shelf="常温两周左右", origin="山东烟台", ingr="苹果", store="放阴凉处或者冷藏",
         taste="脆甜", price=[39, 45]),
    dict(name="百花蜂蜜", spec="500克一瓶", shelf="24个月", origin="陕西秦岭", ingr="蜂蜜", store="常温保存，结晶是正常现象",
         taste="甜度高，带一点花香", price=[49, 59]),
    dict(name="明前绿茶", spec="250克一罐", shelf="18个月", origin="浙江", ingr="绿茶", store="开罐后放冰箱冷藏",
         taste="80度左右的水冲泡，清香", price=[99, 129]),
    dict(name="速冻水饺", spec="1千克一袋", shelf="冷冻12个月", origin="山东", ingr="小麦粉、猪肉、白菜等", store="零下18度冷冻",
         taste="皮薄馅多，煮八分钟", price=[29, 35]),
]

COSMETICS = [
    dict(name="氨基酸洗面奶", spec="100克", texture="泡沫细腻", skin="中性和油性肌肤", ingr="氨基酸表面活性剂", usage="早晚各一次，挤黄豆大小", price=[49, 59]),
    dict(name="保湿面霜", spec="50克", texture="质地轻薄，涂开很快吸收", skin="干性和混合性肌肤", ingr="透明质酸钠、甘油", usage="洁面后取适量涂抹全脸", price=[129, 149]),
    dict(name="身体乳", spec="400毫升", texture="乳液质地，不黏腻", skin="大部分肤质", ingr="乳木果油、甘油", usage="洗完澡后全身涂抹", price=[59, 69]),
    dict(name="护手霜三支装", spec="30克×3支", texture="质地偏厚，滋润", skin="手部干燥的朋友", ingr="乳木果油", usage="洗手后挤一点揉开", price=[39, 45]),
    dict(name="洗发水", spec="500毫升", texture="啫喱质地，泡沫多", skin="油性发质", ingr="氨基酸表面活性剂", usage="打湿头发后揉出泡沫，冲洗干净", price=[59, 69]),
    dict(name="丝绒口红", spec="3.5克", texture="丝绒雾面", skin="大部分唇色", ingr="色粉、蜡质", usage="可以薄涂也可以叠涂", price=[89, 99]),
    dict(name="卸妆油", spec="200毫升", texture="油状，遇水乳化", skin="干性和中性肌肤", ingr="植物油脂", usage="干手干脸取三到四泵打圈", price=[99, 119]),
    dict(name="保湿爽肤水", spec="200毫升", texture="水状质地", skin="大部分肤质", ingr="甘油、泛醇", usage="洁面后用化妆棉或者直接拍", price=[79, 89]),
    dict(name="补水面膜", spec="10片一盒", texture="精华液比较多", skin="大部分肤质", ingr="透明质酸钠", usage="敷15分钟左右揭下", price=[59, 69]),
    dict(name="淡香水", spec="50毫升", texture="前调柑橘，后调木质", skin="喜欢清淡香味的朋友", ingr="香精、乙醇", usage="喷在手腕和耳后", price=[199, 239]),
    dict(name="九色眼影盘", spec="9色", texture="粉质细腻，好晕染", skin="大部分肤色", ingr="色粉", usage="用刷子一层一层叠", price=[89, 109]),
    dict(name="气垫粉底", spec="15克，送一个替换芯", texture="水润妆感", skin="中性和干性肌肤", ingr="色粉、保湿成分", usage="用粉扑按压上脸", price=[159, 179]),
]

HOME = [
    dict(name="纯棉四件套", spec="1.5米床和1.8米床两个尺寸", material="100%棉，40支斜纹", colours=["浅灰", "雾蓝", "奶白"], note="被套上面有拉链", price=[199, 229]),
    dict(name="收纳箱", spec="55升，三个装", material="PP材质", colours=["透明白", "浅灰"], note="盖子可以扣紧，叠放不晃", price=[59, 69]),
    dict(name="保温杯", spec="500毫升", material="316不锈钢内胆", colours=["白色", "墨绿", "奶茶色"], note="杯盖可以拆下来清洗", price=[79, 89]),
    dict(name="纯棉毛巾", spec="三条装，每条34厘米×74厘米", material="100%棉", colours=["米黄", "浅蓝", "浅粉"], note="新毛巾先过一遍清水再用", price=[39, 45]),
    dict(name="不粘炒锅", spec="直径28厘米", material="铝合金锅身，带玻璃盖", colours=["黑色", "米白"], note="燃气灶和电磁炉都能用", price=[129, 149]),
    dict(name="植绒衣架", spec="20个装", material="ABS骨架加植绒", colours=["灰色", "墨绿"], note="衣服挂上去不容易滑", price=[29, 35]),
    dict(name="乳胶枕", spec="60厘米×40厘米，高度10厘米", material="乳胶枕芯加针织外套", colours=["白色"], note="外套可以拆下来洗", price=[99, 119]),
    dict(name="平板拖把", spec="拖头宽38厘米，送三块拖布", material="铝合金杆", colours=["灰色"], note="拖布可以机洗", price=[49, 59]),
    dict(name="藤席三件套", spec="1.5米和1.8米两个尺寸", material="藤条编织", colours=["原色"], note="第一次用之前用湿毛巾擦一遍", price=[159, 189]),
    dict(name="翻盖垃圾桶", spec="12升", material="PP材质", colours=["白色", "浅灰"], note="内桶可以单独拿出来", price=[35, 39]),
    dict(name="厨房置物架", spec="三层，宽60厘米", material="碳钢烤漆", colours=["黑色", "白色"], note="每层最大承重15公斤", price=[69, 79]),
    dict(name="懒人沙发", spec="80厘米×90厘米", material="科技布面料，填充EPP颗粒", colours=["奶咖", "浅灰"], note="外套可以拆洗", price=[199, 239]),
]

ELECTRONICS = [
    dict(name="充电宝", spec="10000毫安时", feature="支持22.5瓦快充", cert="有3C认证", warranty="一年质保", price=[79, 89]),
    dict(name="蓝牙耳机", spec="单次续航6小时，配合充电仓大约24小时", feature="半入耳式，佩戴有防脱落设计", cert="有3C认证", warranty="一年质保", price=[129, 149]),
    dict(name="电水壶", spec="1.7升", feature="304不锈钢内胆，烧开自动断电", cert="有3C认证", warranty="两年质保", price=[89, 99]),
    dict(name="吹风机", spec="最大功率1800瓦", feature="三档温度两档风速", cert="有3C认证", warranty="一年质保", price=[149, 169]),
    dict(name="电饭煲", spec="4升，适合三到五口人", feature="有预约和保温功能", cert="有3C认证", warranty="一年质保", price=[199, 229]),
    dict(name="空气炸锅", spec="5升", feature="可视窗口，温度80到200度可调", cert="有3C认证", warranty="一年质保", price=[229, 259]),
    dict(name="电动牙刷", spec="充满电用30天左右", feature="三种模式，送两个刷头", cert="有3C认证", warranty="一年质保", price=[99, 119]),
    dict(name="手机支架", spec="适配4.7到7英寸手机", feature="可以调角度，底座有防滑垫", cert="配件类", warranty="半年质保", price=[29, 35]),
    dict(name="桌面小风扇", spec="三档风速", feature="USB充电，续航4到8小时", cert="有3C认证", warranty="一年质保", price=[49, 59]),
    dict(name="智能手表", spec="1.43英寸屏幕", feature="支持来电提醒和运动记录", cert="有3C认证", warranty="一年质保", price=[299, 349]),
    dict(name="快充数据线", spec="1米和2米两个长度", feature="支持60瓦快充", cert="配件类", warranty="一年质保", price=[19, 25]),
    dict(name="电热水袋", spec="充电十分钟左右", feature="有温控保护", cert="有3C认证", warranty="一年质保", price=[39, 49]),
]

OTHER = [
    dict(cat="玩具", name="拼插积木", spec="620颗粒", detail="适合6岁以上，包装上有年龄提示", price=[129, 149]),
    dict(cat="文具", name="中性笔", spec="0.5毫米，12支一盒", detail="黑色笔芯，书写顺滑", price=[15, 19]),
    dict(cat="宠物用品", name="豆腐猫砂", spec="6升×4袋", detail="结团快，可以冲进马桶但一次不要倒太多", price=[69, 79]),
    dict(cat="运动", name="瑜伽垫", spec="183厘米×61厘米，厚8毫米", detail="TPE材质，两面纹路不一样", price=[69, 89]),
    dict(cat="户外", name="折叠露营椅", spec="承重120公斤", detail="铝合金支架，收起来装进收纳袋", price=[99, 119]),
    dict(cat="母婴用品", name="婴儿棉柔巾", spec="100抽×6包", detail="干湿两用，擦完可以直接扔", price=[49, 55]),
    dict(cat="图书", name="儿童绘本套装", spec="10册", detail="适合3到6岁，硬壳封面", price=[89, 99]),
    dict(cat="汽车用品", name="车载手机支架", spec="出风口夹子款", detail="单手就能放手机", price=[39, 45]),
]


def pick_price(product: dict, rng: random.Random) -> int:
    return rng.choice(product["price"])


# ---------------------------------------------------------------------------------------------
# Templates. Each returns (template text, slot dict); {aud}, {nick} … come from SLOTS.
# ---------------------------------------------------------------------------------------------

def apparel_slots(rng: random.Random, body_only: bool = False) -> dict:
    p = rng.choice([p for p in APPAREL if p["body"]] if body_only else APPAREL)
    colours = rng.sample(p["colours"], k=min(2, len(p["colours"])))
    price = pick_price(p, rng)
    return dict(name=p["name"], fabric=p["fabric"], comp=p["comp"], colour=colours[0], colour2=colours[-1],
                size=rng.choice(p["sizes"]), sizes=p["size_range"], fit=p["fit"], care=p["care"],
                price=str(price), price2=str(price * 2 - 10), ncolours=str(len(p["colours"])))


APPAREL_T = [
    "{aud}，这件{name}是{fabric}，成分标签上写的是{comp}。",
    "这款{name}一共{ncolours}个颜色，{colour}和{colour2}是今天讲得比较多的。",
    "{name}的尺码是{sizes}，{fit}。",
    "@{nick} 问{name}怎么洗，{care}就可以。",
    "{name}今天直播间价格是{price}元，两件一起拍是{price2}元。",
    "给大家看一下{name}的面料细节，{fabric}，走线比较整齐。",
    "{name}的成分是{comp}，吊牌和洗标上都写着，收到可以对照一下。",
    "{colour}这个颜色比较显气色，{colour2}更日常一些，看个人喜好。",
    "这件{name}洗护方面，{care}，不要长时间泡在水里。",
    "刚进来的朋友，现在讲的是{name}，{fabric}，价格{price}元。",
    "{name}我们实物拍的颜色会受灯光影响，收到以实物为准。",
    "{name}吊牌不要剪，不合适可以七天无理由退换。",
    "后面的{helper}帮我把{colour}的{name}拿一件{size}的过来。",
    "{name}的细节给大家近距离看一下，做工和走线都在这里。",
    "{name}这个价格是{price}元，页面上显示的就是今天直播间的价格。",
    "{nick}问{name}会不会起球，{fabric}正常使用摩擦多的地方会有一点，用去球器处理一下就好。",
    "{name}建议和深色衣物分开洗，第一次洗可以加一点盐。",
    "{city}的{nick}说收到{name}了，挺合适的，谢谢你回来反馈。",
    "今天{name}的{size}还有一些库存，需要的可以看一下。",
]

APPAREL_BODY_T = [
    "我身高{height}，体重{weight}斤，平时穿{size}，身上这件{name}就是{size}的。",
    "{nick}说身高{height}体重{weight}斤，建议拍{size}，喜欢宽松一点可以再大一码。",
    "想看{name}{colour}上身效果的扣1，我换给大家看。",
    "{name}的版型，{fit}，大家按平时的码数拍就行。",
    "拿不准尺码的朋友，{name}详情页有尺码表，量一下衣长和胸围再对照。",
    "这件{name}搭配一条深色裤子就很好看，通勤和周末都能穿。",
    "{helper}身高{height}，现在穿的是{colour}的{name}，{size}。",
    "{name}我给大家转一圈看看背面，{fit}。",
]


def food_slots(rng: random.Random) -> dict:
    p = rng.choice(FOOD)
    price = pick_price(p, rng)
    return dict(name=p["name"], spec=p["spec"], shelf=p["shelf"], origin=p["origin"], ingr=p["ingr"],
                store=p["store"], taste=p["taste"], price=str(price), price2=str(price * 2 - 5))


FOOD_T = [
    "{aud}，这款{name}，规格是{spec}，产地{origin}。",
    "{name}的配料表很短，就是{ingr}，大家可以放大图片看一下。",
    "{name}保质期{shelf}，{store}。",
    "我现在打开一包{name}给大家看，{taste}。",
    "{name}今天直播间价格是{price}元，拍两份是{price2}元。",
    "@{nick} 问{name}能放多久，外包装上写的保质期是{shelf}。",
    "{name}的生产日期和保质期在包装背面，收到可以看一下。",
    "{nick}说上次买的{name}已经吃完了，谢谢你回来支持。",
    "{name}是{origin}发货，{city}的朋友大概两到三天能收到。",
    "{name}的包装上有生产商的名称和地址，收到可以核对一下。",
    "{name}的口味，{taste}，每个人口味不一样，可以先拍一份试试。",
    "{name}是{spec}，家里人多的可以拍两份。",
    "{name}收到以后{store}，这样口感能保持得久一点。",
    "对{ingr}过敏的朋友，这款{name}就不要拍了。",
    "{name}食品类拆封以后不支持七天无理由，没拆封的可以退。",
    "生产许可证编号和食品经营信息都放在店铺资质里，点进去能看到。",
    "{name}外箱有防压的泡沫，运输过程中有破损的，拍照在订单页面申请售后。",
    "给大家称一下{name}的重量，连包装一起，大家看秤上的数字。",
    "{name}这一批是本月生产的，日期很新。",
    "{aud}，{name}每个账号最多拍{count}份，多拍的会按页面规则处理。",
]


def cosmetics_slots(rng: random.Random) -> dict:
    p = rng.choice(COSMETICS)
    price = pick_price(p, rng)
    return dict(name=p["name"], spec=p["spec"], texture=p["texture"], skin=p["skin"], ingr=p["ingr"],
                usage=p["usage"], price=str(price), price2=str(price * 2 - 10))


COSMETICS_T = [
    "{aud}，这款{name}，规格{spec}，{texture}。",
    "{name}主要成分里有{ingr}，全成分在包装背面和详情页都有。",
    "{name}比较适合{skin}，每个人情况不一样，可以先少量试。",
    "{name}的用法，{usage}。",
    "我在手背上给大家试一下{name}，{texture}。",
    "{name}今天直播间价格是{price}元，两瓶一起是{price2}元。",
    "@{nick} 问{name}孕期能不能用，这个请先问问医生，我们不做建议。",
    "第一次用{name}的朋友，先在耳后或者手腕内侧小范围试用。",
    "{name}的备案信息可以在详情页看到，大家可以自己查一下。",
    "{name}开封以后的使用期限，包装上有个开盖的小图标，上面写着月数。",
    "{name}放在阴凉的地方，不要放在浴室窗台上晒太阳。",
    "{nick}说{name}用了一个月，觉得挺滋润的，谢谢分享感受。",
    "{name}打开以后尽量在包装上写的期限内用完。",
    "化妆品拆封以后不支持无理由退货，没拆封的七天内可以退。",
    "{name}每个人的使用感受不一样，我只说我自己用的感觉，{texture}。",
    "{name}的生产日期在瓶底，限用日期也印在上面。",
    "{name}{spec}，用量因人而异，大家按自己的习惯估算。",
    "这支{name}是今年的批次，收到可以看一下瓶身上的日期。",
]


def home_slots(rng: random.Random) -> dict:
    p = rng.choice(HOME)
    price = pick_price(p, rng)
    return dict(name=p["name"], spec=p["spec"], material=p["material"], colour=rng.choice(p["colours"]),
                hnote=p["note"], price=str(price), price2=str(price * 2 - 10))


HOME_T = [
    "{aud}，这款{name}，{spec}，材质是{material}。",
    "{name}有{colour}可以选，颜色在链接里点开就能看到。",
    "{name}的细节，{hnote}。",
    "{name}今天直播间价格是{price}元，拍两件是{price2}元。",
    "@{nick} 问{name}有没有味道，新拆开的时候放在通风的地方晾一天。",
    "{name}的尺寸大家量好再拍，{spec}。",
    "我把{name}拿近一点给大家看，{material}。",
    "{nick}说家里已经在用{name}了，谢谢你回来反馈。",
    "{name}是大件，发的是物流或者快递，偏远地区到货会慢一点。",
    "{name}收到以后先检查一下外包装，有磕碰的直接拍照给客服。",
    "{name}这个{colour}放在家里比较百搭，跟浅色家具很配。",
    "{name}在详情页有实拍的尺寸图，大家可以对照一下自己家的空间。",
    "{name}支持七天无理由，不影响二次销售的情况下可以退。",
    "{name}的安装很简单，包装里有说明书，也可以看详情页的视频。",
    "{city}的{nick}问{name}能不能发过去，可以的，正常发货。",
]


def electronics_slots(rng: random.Random) -> dict:
    p = rng.choice(ELECTRONICS)
    price = pick_price(p, rng)
    return dict(name=p["name"], spec=p["spec"], feature=p["feature"], cert=p["cert"], warranty=p["warranty"],
                price=str(price), price2=str(price * 2 - 20))


ELECTRONICS_T = [
    "{aud}，这款{name}，{spec}，{feature}。",
    "{name}{cert}，认证信息在详情页可以看到。",
    "{name}是{warranty}，质保期内非人为损坏可以走售后。",
    "{name}今天直播间价格是{price}元，两台一起是{price2}元。",
    "@{nick} 问{name}的参数，{spec}，{feature}。",
    "我现场给大家演示一下{name}，{feature}。",
    "{name}第一次使用前先看一下说明书，按说明书操作。",
    "{name}的包装里有主机、说明书和保修卡，配件清单在详情页。",
    "{nick}说{name}用了半年了，挺好用的，谢谢你的反馈。",
    "{name}收到以后先通电试一下，有问题在七天内申请退换。",
    "{name}的电源插头是国标的，{city}这边直接就能用。",
    "{name}{spec}，日常家用足够了，大家按需要选。",
    "{name}的颜色有两个，看链接里的图片选择。",
    "{name}拆开检查没问题再激活，激活以后按页面的售后规则处理。",
    "电器类商品拆封激活以后，退货要看页面写的售后规则。",
]


def other_slots(rng: random.Random) -> dict:
    p = rng.choice(OTHER)
    price = pick_price(p, rng)
    return dict(cat=p["cat"], name=p["name"], spec=p["spec"], detail=p["detail"], price=str(price))


OTHER_T = [
    "{aud}，接下来讲一款{cat}，{name}，{spec}。",
    "{name}的情况，{detail}。",
    "{name}今天直播间价格是{price}元，链接已经上好了。",
    "@{nick} 问{name}的规格，{spec}，详情页也写了。",
    "{name}属于{cat}，{detail}，大家按需要拍。",
    "{nick}说家里用过{name}，{detail}，谢谢你回来分享。",
    "给大家展示一下{name}，{spec}，{detail}。",
]

PLATFORM_T = [
    ("wechat", "想要的朋友{cart}，找到{num}号链接就能下单。"),
    ("wechat", "{aud}，下单直接在直播间{cart}，不用去别的地方。"),
    ("wechat", "在微信小店里下单，订单在“我的订单”里能看到物流。"),
    ("wechat", "视频号直播间里的商品，都是在小店里下单付款。"),
    ("douyin", "想要的朋友{cart}，找到{num}号链接，选好规格再付款。"),
    ("douyin", "{aud}，{cart}，{num}号链接就是刚才讲的这款。"),
    ("douyin", "抖音商城的订单在“我的订单”里面，物流信息都在那里看。"),
    ("douyin", "小黄车里的{num}号链接已经上好了，大家看一下。"),
    ("taobao", "想要的朋友{cart}，{num}号宝贝就是这个。"),
    ("taobao", "{aud}，{cart}，领了店铺券再下单。"),
    ("taobao", "淘宝的订单在“我的淘宝”里面，点进去能看到物流。"),
    ("taobao", "宝贝口袋里的{num}号链接已经上架了，可以去看一下。"),
]

GENERIC_T = [
    # greetings and thanks
    "{greet}，{aud}，欢迎来到直播间，我是主播{host}。",
    "欢迎{nick}来到直播间，{city}的朋友你好。",
    "谢谢{nick}{thanks_for}，{aud}慢慢看。",
    "刚进来的朋友可以先点个关注，开播的时候会有提醒。",
    "{aud}，今天的直播会讲到{clock}左右，有想看的商品打在公屏上。",
    "{greet}，{city}的{nick}又来了，好久不见。",
    "今天是{weekday}，{aud}下班辛苦了，先坐下来慢慢看。",
    "{aud}，我们每周{weekday}晚上{clock}开播，记得来。",
    "看到公屏上{city}、{city2}的朋友都来了，欢迎大家。",
    "{aud}有问题直接打在公屏上，我和{helper}都会看。",
    # interaction
    "@{nick} 你问的问题我看到了，稍等一下我讲完这一款回答你。",
    "想看哪个颜色的扣颜色名字，我一个一个给大家换。",
    "{nick}问身高{height}体重{weight}斤拍什么码，我一会儿给你对照一下尺码表。",
    "刚才没看清楚的朋友，我再从头讲一遍。",
    "{aud}，这一款讲完了，下面讲下一款。",
    "后台的{helper}帮我看一下库存还有多少。",
    "有朋友问能不能便宜一点，价格就是页面上显示的，大家按需要拍。",
    "{nick}问能不能开发票，可以的，下单后在订单页面申请。",
    "我们今天讲的商品一共有{n_items}款，链接都已经上好了。",
    "公屏上问尺码的朋友比较多，我统一说一下，详情页有尺码表。",
    "{nick}说收到货了，谢谢你回来反馈。",
    "有朋友问赠品的事，赠品的名称和数量都在商品页写着。",
    "{aud}，有没有哪个商品还想再看一遍的，打在公屏上。",
    "我先喝口水，{helper}帮我念一下公屏上的问题。",
    # ordering
    "下单的时候选好颜色和尺码，再核对一下收货地址。",
    "收货手机号一定要填对，快递员送货前会打电话。",
    "地址填错了的朋友，发货前可以在订单页面修改，或者联系店铺客服。",
    "优惠券在商品页面上领，领完以后结算的时候会自动用上。",
    "满{full}减{minus}的店铺券，页面上写了使用条件，大家可以看一下。",
    "每个账号最多拍{count}件，多拍的订单会按页面规则取消。",
    "两件一起拍的价格在规格里选“两件装”就能看到。",
    "实际到手价以结算页面显示的金额为准。",
    "赠品是跟着订单一起发的，不需要单独拍。",
    "预售的商品页面上写了发货日期，大家看清楚再拍。",
    "拍下以后记得付款，没付款的订单系统会自动取消。",
    "有会员的朋友，结算的时候会员积分可以按页面规则抵扣。",
    "拍错规格的朋友，发货前申请退款重新拍就可以。",
    # shipping
    "我们下单后{hours}小时内发货，默认发{courier}。",
    "偏远地区比如{remote}，需要补运费，页面上写了具体金额。",
    "现货是下单后{hours}小时内发，预售款在页面写的日期前发出。",
    "快递一般{days}天左右能到，节假日会慢一点。",
    "物流信息在订单页面可以查，发货以后会更新单号。",
    "想换快递的朋友，在订单备注里写一下，能换的我们尽量给大家换。",
    "{city}的朋友，一般发货后两到三天能收到。",
    "大件商品走物流，到了以后会有电话通知大家。",
    "收到快递先检查外包装，有破损可以拒收或者拍照联系客服。",
    "我们的仓库在{city}，从那边统一发货。",
    "生鲜类商品发顺丰冷链，最快次日就能到。",
    "发货以后最晚{days}天内都能看到物流更新。",
    # after-sales
    "支持七天无理由退货，不影响二次销售的情况下都可以退。",
    "收到有质量问题的，在订单页面申请售后，运费我们来出。",
    "我们给每单都买了运费险，退货的运费可以按保险规则理赔。",
    "退货的时候把吊牌和包装保留好，一起寄回来。",
    "生鲜类商品不适用七天无理由，坏果拍照按页面规则处理。",
    "定制刻字的商品不支持七天无理由，下单前页面会让大家确认。",
    "售后问题都在订单页面申请，客服会在{hours}小时内处理。",
    "退款会原路退回，一般一到三个工作日到账。",
    "有任何问题先联系店铺客服，我们一定认真处理。",
    "店铺的营业执照和经营者信息在店铺主页可以查看。",
    "拿到货以后觉得不合适，按页面的售后规则申请就行。",
    # prices stated factually
    "今天直播间价格是{price}元，页面上显示的就是这个价。",
    "这一款{price}元，两件是{price_two}元，大家按需要拍。",
    "用满{full}减{minus}的券，{full}元的订单实付{paid}元。",
    "页面上的价格包含运费，偏远地区除外。",
    "今天的价格跟页面显示一致，以结算页面为准。",
    "价格是{price}元，赠品是一个同系列的小样，数量一个。",
    # closing and schedule
    "今天的直播就到这里，{aud}我们{weekday}晚上{clock}再见。",
    "下播以前再说一下，售后有问题找店铺客服。",
    "没抢到的朋友不要着急，下次直播我们会提前预告上架时间。",
    "谢谢大家今天的陪伴，早点休息。",
    "明天我们讲秋冬的外套，{aud}有空来看看。",
    "感谢{nick}、{nick2}今天一直在直播间陪着我们。",
    # host talk, mixed
    "最近天气转凉了，{aud}出门多穿一件。",
    "最近很多朋友问什么时候上新，这周{weekday}会上。",
    "最后给大家看一下细节，看完我们就讲下一款。",
    "最后一个问题，@{nick} 问能不能寄到{city}，可以的。",
    "第一次来直播间的朋友，可以先看看我们的店铺主页。",
    "第一步先领券，第二步选规格，然后提交订单就可以。",
    "收到货第一时间检查一下，有问题马上联系客服。",
    "今天第一个链接是{name_any}，大家可以先看一下。",
    "第一天开播的时候好多朋友来捧场，到现在还记得。",
    "这款唯一的缺点就是颜色少，只有两个颜色。",
    "唯一需要注意的是，收到以后先看一下说明书。",
    "最初我们只做服装，后来慢慢加了家居和食品。",
    "最终以实物为准，图片会受光线影响有一点色差。",
    "大家最好先量一下尺寸，再对照详情页的尺码表拍。",
    "最好不要用太烫的水洗，容易变形。",
    "大件家具最好提前确认一下电梯和门框的尺寸。",
    "发货最多{days}天，一般下单第二天就发了。",
    "每单最少拍一件，没有起拍数量的要求。",
    "最后说一下，今天所有的链接晚上{clock}下架。",
    "最后提醒一下，退货的时候吊牌不要剪。",
    "最后总结一下今天讲的这几款，大家看公屏上的截图。",
    "拍照的时候站在最左边那个位置，光线会好一点。",
    "这件挂在最右边，颜色是浅灰色的。",
    "衣服叠在最上面的那件是{size_any}码。",
    "最下面的那个抽屉放的是配件。",
    "站在最前面的是我们的助播{helper}。",
    "这件我第一眼看到就很喜欢，颜色很温柔。",
    "第一印象是面料很软，上身以后也不扎。",
    "第一口吃下去是咸香味，后面有一点甜。",
    "第一遍洗的时候单独洗，后面就可以和别的衣服一起洗了。",
    "第一点，看面料；第二点，看做工；第三点，看尺码合不合适。",
    "第一批货已经发出去了，第二批在{weekday}发。",
    "今天第一轮讲服装，第二轮讲食品，第三轮讲家居。",
    "第一周用的时候可能还不太习惯，慢慢就适应了。",
    "包装的第一层是纸盒，第二层是气泡膜。",
    "第一颗扣子可以解开穿，领口会更舒服。",
    "第一部分先讲上衣，第二部分讲裤子。",
    "今天第一款是外套，第二款是裤子。",
    "第一件拍{size_any}码，第二件可以换个颜色。",
    "第一位进直播间的是{nick}，谢谢你。",
    "第一组是三件上衣，第二组是两条裤子。",
    "第一波福利是店铺券，领了就能用。",
    "第一条，退货保留吊牌；第二条，商品不影响二次销售。",
    "这款唯一的遗憾是没有大码，身材偏大的朋友看下一款。",
    "唯一要注意的是，第一次洗的时候单独洗。",
    "这款唯一的不足是口袋浅了一点。",
    "最迟{weekday}之前都能发出去。",
    "发货时间最晚{hours}小时，大部分当天就发了。",
    "冰丝防晒衣的面料很薄，夏天穿透气。",
    "防晒帽的帽檐宽，折起来可以放进包里。",
    "防晒袖套是一对装，均码。",
    "儿童防晒服的尺码有100到130。",
    "这款鲜牛奶是巴氏杀菌乳，要冷藏保存。",
    "灭菌乳常温可以放，开封以后放冰箱。",
    "这台消毒柜的容量是80升，尺寸在详情页。",
    "万能胶粘的时候注意通风，不要让小朋友碰。",
    "万能表是测电压电流的工具，包装里有说明书。",
    "这款是非处方药的收纳盒，药品本身不在我们这里卖。",
    "面料成分是100%棉，标签上写得很清楚。",
    "这条围巾的成分是100%羊绒，吊牌上有写。",
    "床品的面料是百分百纯棉，40支的。",
    "这件衬衫100%亚麻，夏天穿透气。",
    "睡衣的成分是100%桑蚕丝，建议手洗。",
    "羽绒服面料是100%锦纶，里面是白鸭绒。",
    "这件毛衣是100%羊毛，洗的时候用羊毛专用洗涤剂。",
    "这款连衣裙成分是100%聚酯纤维，不容易皱。",
    "这款吹风机最大功率是1800瓦，宿舍的朋友先看一下限电。",
    "置物架每层最大承重15公斤，放锅碗没问题。",
    "保温杯的最大容量是500毫升，装满以后不要摇。",
    "烤箱的最高温度是230度，最低温度是70度。",
    "风扇调到最高档位会有一点声音，最低档位基本听不到。",
    "这款鞋最大码是40码，最小码是35码。",
    "物流最快次日到，偏远地区慢一点。",
    "同城的最快当天就能送到。",
    "{city}的朋友今天拍，最快明天就能收到。",
    "这款耳机有防脱落的耳翼，跑步的时候戴着也稳。",
    "最多可以拍{count}件，超过的会按页面规则处理。",
]


def generic_slots(rng: random.Random) -> dict:
    full = rng.choice([99, 150, 199, 299])
    minus = rng.choice([10, 15, 20, 30])
    price = rng.choice([29, 39, 49, 59, 69, 79, 89, 99, 119, 129, 159, 199])
    everything = [p["name"] for p in APPAREL + FOOD + COSMETICS + HOME + ELECTRONICS + OTHER]
    cities = rng.sample(SLOTS["city"], 2)
    nicks = rng.sample(SLOTS["nick"], 2)
    return dict(full=str(full), minus=str(minus), paid=str(full - minus), price=str(price),
                price_two=str(price * 2 - 10), n_items=str(rng.randint(8, 25)), name_any=rng.choice(everything),
                size_any=rng.choice(["S", "M", "L", "XL"]), city=cities[0], city2=cities[1],
                nick=nicks[0], nick2=nicks[1])


def platform_slots(rng: random.Random, platform: str) -> dict:
    return dict(cart=rng.choice(CART[platform]), num=str(rng.randint(1, 30)))


TEMPLATE_GROUPS = [
    ("apparel", APPAREL_T, apparel_slots),
    ("apparel_body", APPAREL_BODY_T, lambda rng: apparel_slots(rng, body_only=True)),
    ("food", FOOD_T, food_slots),
    ("cosmetics", COSMETICS_T, cosmetics_slots),
    ("home", HOME_T, home_slots),
    ("electronics", ELECTRONICS_T, electronics_slots),
    ("other", OTHER_T, other_slots),
    ("generic", GENERIC_T, generic_slots),
]


def _fields(template: str) -> list[str]:
    return [name for _, name, _, _ in string.Formatter().parse(template) if name]


def render(template: str, specific: dict, rng: random.Random) -> str:
    values = {}
    for name in _fields(template):
        if name in specific:
            values[name] = specific[name]
        elif name in SLOTS:
            values[name] = rng.choice(SLOTS[name])
        else:
            raise KeyError(f"template {template!r} uses unknown slot {name!r}")
    return template.format(**values)


def _bigrams(text: str) -> set[str]:
    return {text[i:i + 2] for i in range(len(text) - 1)}


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a | b else 1.0


def generate(target: int = TARGET_LINES, seed: int = SEED) -> list[str]:
    """Deterministic list of unique, non-near-duplicate clean lines."""
    rng = random.Random(seed)
    jobs: list[tuple[str, object]] = []
    for _, templates, slot_fn in TEMPLATE_GROUPS:
        for template in templates:
            jobs.append((template, slot_fn))
    for platform, template in PLATFORM_T:
        jobs.append((template, platform))

    lines: list[str] = []
    seen: set[str] = set()
    per_template: dict[str, list[set[str]]] = {template: [] for template, _ in jobs}
    attempts = 0
    while len(lines) < target and attempts < target * 60:
        attempts += 1
        template, source = jobs[attempts % len(jobs)]
        accepted = per_template[template]
        if len(accepted) >= MAX_PER_TEMPLATE:
            continue
        specific = platform_slots(rng, source) if isinstance(source, str) else source(rng)
        line = render(template, specific, rng)
        if line in seen:
            continue
        grams = _bigrams(line)
        if any(_jaccard(grams, other) >= NEAR_DUPLICATE_JACCARD for other in accepted):
            continue
        seen.add(line)
        accepted.append(grams)
        lines.append(line)
    return lines


def check(lines: list[str]) -> list[str]:
    """Return one message per unclean line (empty when every line is clean)."""
    lexicon = load_lexicon()
    problems = []
    for number, line in enumerate(lines, start=1):
        for term, offset in uncovered_hits(line, lexicon.terms, lexicon.allow_phrases):
            problems.append(f"line {number}: term {term.term!r} ({term.family}) at {offset}: {line}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check the existing corpus file")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)

    if args.check:
        lines = args.output.read_text(encoding="utf-8").splitlines()
    else:
        lines = generate()
    problems = check(lines)
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} lexicon hit(s) in the clean corpus; not written" if not args.check else
              f"{len(problems)} lexicon hit(s) in {args.output}")
        return 1
    if not args.check:
        args.output.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{len(lines)} clean lines{' checked' if args.check else ' written to ' + str(args.output)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
