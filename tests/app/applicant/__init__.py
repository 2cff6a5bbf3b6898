"""AppTest tests of the applicant pages."""
