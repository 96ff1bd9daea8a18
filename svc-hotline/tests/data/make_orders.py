"""Writes orders.json: the labelled sample set of the topic pool's test (6 themes, 55 orders each), from
hand-written sentences per theme combined with Nanning places. Deterministic (run it again after editing
the sentences: ``uv run python svc-hotline/tests/data/make_orders.py``)."""

from __future__ import annotations

import json
import random
from pathlib import Path

PLACES = [
    ("450102", "兴宁区民主路"), ("450102", "兴宁区朝阳路"), ("450103", "青秀区金湖路"), ("450103", "青秀区东葛路"),
    ("450105", "江南区星光大道"), ("450105", "江南区亭洪路"), ("450107", "西乡塘区大学东路"), ("450107", "西乡塘区秀灵路"),
    ("450108", "良庆区五象大道"), ("450109", "邕宁区蒲庙镇"), ("450103", "青秀区民族大道"), ("450102", "兴宁区长堽路"),
]  # fmt: skip
ESTATES = [
    "锦绣花园",
    "阳光新城",
    "荣和山水",
    "凤岭北小区",
    "明秀小区",
    "江南水岸",
    "五象新城",
    "大学城公寓",
    "翡翠园",
    "佳和小区",
]

THEMES: dict[str, list[str]] = {
    "noise": [
        "{place}{estate}楼下烧烤店每天营业到凌晨两点，音响声音很大，严重影响休息，希望管一管。",
        "{place}一处工地夜间施工，{hour}点以后还在打桩，噪音扰民，孩子无法入睡。",
        "{estate}附近广场舞音响太大，每天晚上从七点跳到十点，噪音严重扰民。",
        "{place}商铺用高音喇叭招揽顾客，整天循环播放，噪音很大。",
        "{estate}楼上邻居装修，周末早上七点就开始电钻，噪音扰民。",
        "{place}有酒吧深夜唱歌喧哗，噪音持续到凌晨，严重影响周边居民睡眠。",
        "{place}{estate}旁边的工地凌晨还在用搅拌机，噪声太大，投诉多次没人管。",
        "晚上{hour}点{place}有车辆改装排气管轰鸣飙车，噪音扰民。",
        "{estate}小区里的KTV营业到深夜，音响低音震得窗户响，无法休息。",
        "{place}夜市摊点音箱声音太大，噪音一直持续到半夜。",
    ],
    "water": [
        "{place}{estate}已经停水{days}天了，没有任何通知，生活非常不便，什么时候恢复供水？",
        "{estate}突然停水，物业说是管道爆裂，请问抢修什么时候能完成？",
        "{place}一带自来水水压太低，高层住户几乎没有水，洗澡都成问题。",
        "{estate}自来水发黄有异味，不敢饮用，请供水部门检测水质。",
        "{place}路边供水管爆裂，大量自来水外流，请尽快派人抢修。",
        "{estate}计划停水时间已经过了还没来水，请问供水什么时候恢复？",
        "{place}{estate}每天早上用水高峰期断水，持续一个多星期了。",
        "{estate}停水没有提前公告，家里老人小孩没水用，希望尽快恢复供水。",
        "{place}的水表井漏水好几天了，浪费自来水，请供水公司处理。",
        "{estate}二次供水水箱很久没有清洗，水里有杂质，担心水质安全。",
    ],
    "social_insurance": [
        "我是灵活就业人员，想问一下在{city}怎么缴纳养老保险，缴费基数怎么选？",
        "社保卡丢失了，请问在哪里补办社保卡，需要带什么材料？",
        "公司一直没有给我缴纳社保，已经工作{months}个月了，怎么维权？",
        "养老保险从外省转移到南宁，需要办理什么手续，转移接续要多久？",
        "医保卡在外地看病能不能直接结算，异地就医备案怎么办理？",
        "失业保险金怎么申领，领取条件是什么，每个月能领多少？",
        "退休人员养老金今年调整了吗，什么时候发放到账？",
        "社保缴费记录显示断缴{months}个月，单位说已经交了，怎么查询核实？",
        "新生儿医保怎么参保，城乡居民医疗保险在哪里缴费？",
        "工伤保险认定需要什么材料，单位不配合怎么办？",
    ],
    "housing_fund": [
        "租房提取住房公积金需要什么材料，一年可以提取几次？",
        "公积金贷款买房，最高额度是多少，贷款需要什么条件？",
        "离职以后住房公积金怎么提取，账户需要封存多久？",
        "单位没有给我缴存住房公积金，已经工作{months}个月了，怎么投诉？",
        "异地购房能不能提取南宁的住房公积金，需要哪些证明？",
        "公积金账户转移，从外地转到南宁怎么办理异地转移？",
        "提取公积金还房贷，每个月自动提取怎么签约？",
        "住房公积金缴存比例是多少，单位可以自己调整缴存基数吗？",
        "公积金贷款审批太慢了，提交材料{days}周还没有放款，请帮忙催办。",
        "退休了怎么销户提取全部住房公积金余额？",
    ],
    "streetlight": [
        "{place}一段路灯已经坏了{days}天，晚上一片漆黑，行人很不安全，请尽快维修。",
        "{place}路灯白天亮着晚上反而不亮，浪费电还影响出行。",
        "{estate}门口的路灯杆被车撞歪了，随时可能倒下，请市政部门处理。",
        "{place}人行道路灯一闪一闪的，已经坏了很久，没有人来修。",
        "{place}隧道里面的照明灯坏了好几盏，开车经过很危险。",
        "{place}新修的道路一直没有安装路灯，晚上出行不方便。",
        "{estate}旁边小路没有路灯照明，晚上经常有人摔倒，建议增设路灯。",
        "{place}路口的路灯线路裸露，下雨天担心漏电，请检修。",
        "{place}整条街的路灯都不亮了，市政路灯什么时候能修好？",
        "{place}桥上的景观灯和路灯都坏了，夜间照明不足。",
    ],
    "elevator": [
        "{estate}{building}栋电梯经常故障停运，老人上下楼很困难，物业一直不修。",
        "{estate}电梯困人，等了四十分钟维保人员才到，电梯安全存在隐患。",
        "{estate}电梯年检过期了还在运行，请特种设备监管部门检查。",
        "{estate}{building}栋电梯运行时异响抖动，业主担心电梯安全。",
        "{estate}电梯坏了{days}天，物业说等配件，高层住户只能爬楼梯。",
        "老旧小区{estate}加装电梯的申请流程是什么，补贴怎么申请？",
        "{estate}电梯按钮失灵，经常停错楼层，维保单位敷衍了事。",
        "{estate}{building}栋电梯门关不严，运行中突然下坠过一次，非常危险。",
        "{estate}物业收了电梯维修费，电梯还是三天两头停运。",
        "{estate}电梯里的应急电话打不通，困人时无法求救。",
    ],
}
PER_THEME = 55


def make() -> list[dict[str, str]]:
    rng = random.Random(12345)
    orders = []
    for theme, sentences in THEMES.items():
        for i in range(PER_THEME):
            region, place = rng.choice(PLACES)
            text = sentences[i % len(sentences)].format(
                place=place, estate=rng.choice(ESTATES), hour=rng.choice(["十一", "十二", "一", "两"]),
                days=rng.choice(["两", "三", "四", "五"]), months=rng.choice(["三", "六", "八", "十二"]),
                building=rng.randint(1, 12), city="南宁",
            )  # fmt: skip
            day = 1 + (i * 7) % 60
            orders.append(
                {
                    "label": theme,
                    "title": text.split("，")[0][:40],
                    "content": text,
                    "region": region,
                    "day": f"2026-{10 + day // 31:02d}-{1 + day % 30:02d}",
                }
            )
    rng.shuffle(orders)
    return orders


if __name__ == "__main__":
    out = Path(__file__).with_name("orders.json")
    out.write_text(json.dumps(make(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {out}")
