"""Regions an application can come from: by default China's provincial-level divisions.

A round may replace the list (a provincial office ranks by prefecture city, say); the defaults are
the 31 provinces, autonomous regions and municipalities of the mainland plus the Xinjiang
Production and Construction Corps, which files its own applications in national selections.
"""

from __future__ import annotations

PROVINCIAL_DIVISIONS: tuple[str, ...] = (
    "北京",
    "天津",
    "河北",
    "山西",
    "内蒙古",
    "辽宁",
    "吉林",
    "黑龙江",
    "上海",
    "江苏",
    "浙江",
    "安徽",
    "福建",
    "江西",
    "山东",
    "河南",
    "湖北",
    "湖南",
    "广东",
    "广西",
    "海南",
    "重庆",
    "四川",
    "贵州",
    "云南",
    "西藏",
    "陕西",
    "甘肃",
    "青海",
    "宁夏",
    "新疆",
    "新疆生产建设兵团",
)
