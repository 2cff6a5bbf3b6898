"""Messages for personal information: export profiles, retention, a person's copy of their data."""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    "zh": {
        "pv_export_profile": "导出方式",
        "pv_export_profile_help": "默认脱敏:评审专家以编号显示。"
        "完整导出按本轮设置显示专家姓名,须注明用途,并记入操作日志。",
        "pv_export_purpose": "导出用途(完整导出必填)",
        "pv_my_data": "我的个人信息副本",
        "pv_my_data_caption": "下载系统中与您本人有关的全部信息(账户、单位申报、评分或操作记录),"
        "不含他人的个人信息。下载会记入操作日志。",
        "pv_prepare_my_data": "生成我的信息副本",
        "pv_preparing": "正在生成……",
        "pv_download_my_data": "下载我的信息副本(.xlsx)",
        "pv_retention": "个人信息保留期限",
        "pv_retention_caption": "期满后,管理员可用命令 python -m submissions purge 清除本轮的个人信息(匿名化或删除)。",
        "pv_retention_until": "保留至",
        "pv_retention_save": "保存保留期限",
        "pv_retention_saved": "保留期限已改为{day}。",
        "pv_retention_due": "本轮已超过保留期限({day}),请清除其个人信息。",
        "pv_retention_purged": "本轮的个人信息已于{day}清除。",
    },
    "en": {
        "pv_export_profile": "Export profile",
        "pv_export_profile_help": "Redacted by default: reviewers are shown by number. A full export shows reviewer "
        "names as the round's settings say, needs a purpose, and is logged.",
        "pv_export_purpose": "Purpose of the export (required for a full export)",
        "pv_my_data": "A copy of my personal information",
        "pv_my_data_caption": "Download everything the system holds about you (account, your organisation's "
        "applications, your score sheets or actions), without other people's personal information. "
        "The download is logged.",
        "pv_prepare_my_data": "Prepare my copy",
        "pv_preparing": "Preparing…",
        "pv_download_my_data": "Download my copy (.xlsx)",
        "pv_retention": "Retention of personal information",
        "pv_retention_caption": "After this date an administrator purges the round's personal information "
        "(anonymise or delete) with `python -m submissions purge`.",
        "pv_retention_until": "Keep until",
        "pv_retention_save": "Save the retention date",
        "pv_retention_saved": "The retention date is now {day}.",
        "pv_retention_due": "This round is past its retention date ({day}); purge its personal information.",
        "pv_retention_purged": "This round's personal information was purged on {day}.",
    },
}
