"""The page table: every page of the app, its address and the roles whose menu lists it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PageSpec:
    path: str
    url: str
    title: str  # message key
    icon: str
    roles: tuple[str, ...]


PAGES = (
    PageSpec("app_pages/admin/rounds.py", "rounds", "nav_rounds", ":material/event_note:", ("admin",)),
    PageSpec("app_pages/admin/assignment.py", "assignment", "nav_assignment", ":material/group_add:", ("admin",)),
    PageSpec("app_pages/admin/progress.py", "progress", "nav_progress", ":material/monitoring:", ("admin",)),
    PageSpec("app_pages/admin/results.py", "results", "nav_results", ":material/leaderboard:", ("admin",)),
    PageSpec("app_pages/admin/imports.py", "imports", "nav_imports", ":material/upload_file:", ("admin",)),
    PageSpec("app_pages/admin/users.py", "users", "nav_users", ":material/manage_accounts:", ("admin",)),
    PageSpec("app_pages/admin/audit.py", "audit", "nav_audit", ":material/policy:", ("admin",)),
    PageSpec(
        "app_pages/applicant/home.py",
        "my-applications",
        "nav_my_applications",
        ":material/folder_open:",
        ("applicant",),
    ),
    PageSpec(
        "app_pages/applicant/application.py", "application", "nav_application", ":material/edit_note:", ("applicant",)
    ),
    PageSpec(
        "app_pages/applicant/self_assessment.py",
        "self-assessment",
        "nav_self_assessment",
        ":material/fact_check:",
        ("applicant",),
    ),
    PageSpec("app_pages/applicant/results.py", "my-results", "nav_my_results", ":material/insights:", ("applicant",)),
    PageSpec(
        "app_pages/reviewer/assignments.py", "my-reviews", "nav_my_reviews", ":material/assignment:", ("reviewer",)
    ),
    PageSpec("app_pages/reviewer/score.py", "score", "nav_score", ":material/rate_review:", ("reviewer",)),
    PageSpec(
        "app_pages/rubric_library.py", "library", "library", ":material/menu_book:", ("admin", "reviewer", "applicant")
    ),
    PageSpec("app_pages/account.py", "account", "account", ":material/person:", ("admin", "reviewer", "applicant")),
)
SECTIONS = {"admin": "section_admin", "applicant": "section_applicant", "reviewer": "section_reviewer"}


def pages_for(role: str) -> tuple[PageSpec, ...]:
    """The pages in a role's menu, the role's own first (the first of them is the landing page)."""
    own = tuple(spec for spec in PAGES if spec.roles == (role,))
    shared = tuple(spec for spec in PAGES if role in spec.roles and spec.roles != (role,))
    return own + shared
