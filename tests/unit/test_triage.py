from ticketing.domain.models import Category, Severity
from ticketing.domain.triage import analyze_ticket, find_cues

from ..conftest import make_ticket


def triage(text: str, subject: str = ""):
    return analyze_ticket(make_ticket(text, subject=subject))


def test_seed_story_is_a_network_issue_of_medium_severity():
    result = triage("My internet connection keeps dropping every few minutes. It's affecting my work calls.")
    assert (result.category, result.severity) == (Category.NETWORK, Severity.MEDIUM)
    assert {"internet", "connection", "dropping"} <= set(result.signals)


def test_cant_log_in_to_the_app_is_an_account_issue_not_software():
    result = triage("I can't log in to the app")
    assert result.category is Category.ACCOUNT
    assert "'log in' +3" in result.explanation and "software 2" in result.explanation


def test_download_is_not_down():
    result = triage("How do I download the new version of the client?")
    assert result.severity is not Severity.HIGH
    assert "down" not in result.signals


def test_down_as_a_word_is_high_severity():
    assert triage("The whole office network is down").severity is Severity.HIGH


def test_words_inside_other_words_do_not_match():
    # "app" inside "happy", "lan" inside "plan", "fan" inside "fantastic"
    result = triage("I am happy with the plan, it was fantastic")
    assert result.category is Category.GENERAL
    assert result.signals == []


def test_every_category_is_scored_and_the_highest_wins():
    result = triage("My laptop battery will not charge and the charger is hot")
    assert result.category is Category.HARDWARE
    for other in ("network 0", "software 0", "account 0"):
        assert other in result.explanation


def test_a_negated_cue_does_not_count():
    assert find_cues("This is not a network problem", {"network": 3}) == []
    assert find_cues("The network is slow", {"network": 3}) != []


def test_cannot_is_a_symptom_not_a_negation():
    assert triage("I cannot sign in to my account").category is Category.ACCOUNT


def test_no_cue_gives_general_with_default_severity_and_says_so():
    result = triage("Hello, something is odd.")
    assert (result.category, result.severity) == (Category.GENERAL, Severity.MEDIUM)
    assert "no category cue" in result.explanation and "default" in result.explanation


def test_low_severity_cues():
    assert triage("Minor question: how do I change my profile picture? No rush.").severity is Severity.LOW


def test_summary_prefers_subject_then_first_sentence():
    assert triage("Printer jams. Again.", subject="Printer jam").summary == "Printer jam"
    assert triage("Printer jams. Again.").summary == "Printer jams."


def test_source_is_rules():
    assert triage("wifi drops").source == "rules"


def test_plurals_of_one_word_cues_count():
    assert triage("All the laptops fail after the power cut").category is Category.HARDWARE


def test_a_possessive_is_the_thing_itself():
    assert triage("The app's settings page is blank after the update").category is Category.SOFTWARE


def test_accented_words_stay_whole():
    assert triage("L'écran reste noir").category is Category.HARDWARE
    assert triage("No puedo iniciar sesión, mi contraseña es incorrecta").category is Category.ACCOUNT


def test_shutting_down_is_not_an_outage_but_down_is():
    assert triage("My laptop shuts down when it gets hot").severity is not Severity.HIGH
    assert triage("The link goes up and down all day").severity is Severity.MEDIUM
    assert triage("The intranet is down").severity is Severity.HIGH


def test_a_phone_extension_is_not_a_browser_extension():
    assert triage("How do I get a new phone extension?").category is Category.GENERAL


def test_a_question_that_names_no_problem_is_low():
    result = triage("What are the opening hours of the service desk?")
    assert (result.category, result.severity) == (Category.GENERAL, Severity.LOW)
    assert "question" in result.explanation
    assert triage("Something is wrong with it?").severity is Severity.LOW
    assert triage("My laptop keeps crashing, why?").severity is Severity.MEDIUM


def test_many_people_affected_is_high_however_it_is_worded():
    for text in (
        "Our entire development team is unable to open the reports.",
        "All staff in building B see the same error.",
        "Several customers tell us the checkout page is blank.",
    ):
        result = triage(text)
        assert result.severity is Severity.HIGH, text
        assert "many people affected" in result.signals


def test_a_group_without_a_quantifier_or_a_negated_quantifier_is_not_many_people():
    assert "many people affected" not in triage("My team lead asked me to report the error.").signals
    assert "many people affected" not in triage("Not all users, only me: the report is blank.").signals


def test_a_cue_counts_once_however_often_it_recurs():
    once = triage("The sync shows an error.")
    often = triage("The sync shows an error. Another error. Error again, error log attached.")
    assert once.explanation.split("Severity")[1] == often.explanation.split("Severity")[1]


def test_a_plural_listed_as_its_own_cue_is_not_counted_twice():
    matches = find_cues("Please check my permissions", {"permission": 2, "permissions": 2})
    assert [m.cue for m in matches] == ["permissions"]


def test_outages_security_incidents_and_work_at_a_standstill_are_high():
    for text in (
        "We have had two hours of downtime on the booking site.",
        "Possible security breach: unknown logins on the admin console.",
        "Operations are at a standstill since the ERP update.",
        "The database is corrupted after the power cut.",
    ):
        assert triage(text).severity is Severity.HIGH, text


def test_requests_for_guidance_or_training_are_low():
    for text in (
        "Requesting training on the new CRM for my team next month.",
        "I would like some guidance on setting up mail rules.",
        "Enhancement: let us export the dashboard to PDF.",
    ):
        assert triage(text).severity is Severity.LOW, text
