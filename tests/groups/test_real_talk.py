"""How forum authors really describe themselves (issue 22 §4): income supplemented by
music, money made from it, a day job beside paid music (pro-am: paid, but not a living),
a living from other work, quitting a job for music, contract work, a studio opened,
years in the business, counting oneself among a group ("Like other mix engineers, I"),
classes and tutors, music for oneself, spare time, side projects, learning the craft.

Both directions: what counts, and what must not (third person, "you", suppositions and
hopes, a teacher's classes, the past). The sentences are hand-written and SYNTHETIC,
modelled on the kinds of statement found on real pages, not copied from them.
"""

from __future__ import annotations

import pytest

from earwitness.groups import find_group_evidence, rule_assignment

FOUND = [
    # income from music beside other work
    ("I supplement my income by playing weddings with a covers band.", "pro-am"),
    ("Gigging supplements my income a little.", "pro-am"),
    ("The more money I make from my beats, the fewer shifts I need at the shop.", "pro-am"),
    ("I make a little money from mixing for friends' bands.", "pro-am"),
    ("The DJ gigs I get bring me extra money for gear.", "pro-am"),
    ("I will get paid to play at the festival this summer.", "pro-am"),
    ("I've done a few mixing gigs for local bands.", "pro-am"),
    ("The labels that I release on pay royalties twice a year.", "pro-am"),
    ("We have a hobby that earns us a bit on the side.", "pro-am"),
    # a day job beside paid music: pro-am; a living from other work alone: amateur
    ("I have a day job in IT, and I've done a few mixing gigs for local bands.", "pro-am"),
    ("My day job is nursing. I run a small mastering studio at weekends.", "pro-am"),
    ("I still work a day job and my DJ business pays for the gear.", "pro-am"),
    ("I make my bread and butter as a nurse.", "amateur"),
    # a living from music
    ("I quit my day job last year to focus on mixing full time.", "professional"),
    ("I've been working as a freelance mix engineer for eight years.", "professional"),
    ("I opened my own mastering studio in 2015.", "professional"),
    ("I've worked as a contractor on mixing and editing for podcasts.", "professional"),
    ("I've had more clients this year than ever.", "professional"),
    ("I've been mastering singles for clients on a budget.", "professional"),
    ("It took me twenty years in the music business to learn that.", "professional"),
    ("I've been in the recording industry for fifteen years.", "professional"),
    ("I got to work on records with some great bands as an assistant.", "professional"),
    # roles, however they are said
    ("Like many session engineers, I mostly work from home now.", "professional"),
    ("As a drummer and a recording engineer, I hear everything.", "professional"),
    ("Here is my workflow as a mastering engineer.", "professional"),
    ("I'm a producer/engineer in Nashville.", "professional"),
    ("Like most hobbyists, I can't afford a treated room.", "amateur"),
    ("I'll speak as a bedroom producer here.", "amateur"),
    # students, by their teachers and classes
    ("Our lecturer showed us how to gain stage.", "amateur"),
    ("My tutor says my low end is muddy.", "amateur"),
    ("I'm taking an audio engineering course at the local college.", "amateur"),
    ("As part of my sound design module, I had to mix a short film.", "amateur"),
    # music for oneself
    ("I'm making music for myself, nobody else.", "amateur"),
    ("I only mix my own songs.", "amateur"),
    ("I mostly record in my spare time.", "amateur"),
    ("Mixing is just a side project for me.", "amateur"),
    ("I'm learning how to master my own tracks.", "amateur"),
    ("I keep it as a weekend hobby.", "amateur"),
    # another hobby is not this one
    ("Mixing pays my bills, and my other hobby is cycling.", "professional"),
]

NOT_THE_AUTHOR = [
    "He supplements his income by playing weddings.",
    "You can supplement your income by mixing for others.",
    "The money he makes from gigs pays his rent.",
    "How much money do you make from mixing?",
    "She keeps a day job and mixes at night.",
    "My brother quit his job to focus on music.",
    "I want to quit my day job to focus on music one day.",
    "I hope I can quit my job and become a full-time musician.",
    "His twenty years in the business taught him a lot.",
    "Unlike most mix engineers, I never use presets.",
    "I see him as a hobbyist and a friend, I guess.",
    "Even if it's just a hobby, back up your projects.",
    "I resisted the idea of a side job when I moved to Nashville.",
    "I teach two classes and our instructors share a studio.",
    "When I was at uni my tutor told me to reference.",
    "Our students learn to mix in the second year.",
    "Like many engineers say, analog is overrated.",
    "I've spent ten years in the software industry.",
    "I'm taking a Python course at night.",
]


def _group(text: str) -> str:
    return rule_assignment(find_group_evidence(text))[0]


@pytest.mark.parametrize(("text", "group"), FOUND)
def test_how_people_describe_themselves_gives_their_group(text: str, group: str) -> None:
    assert _group(text) == group, find_group_evidence(text)


@pytest.mark.parametrize("text", NOT_THE_AUTHOR)
def test_others_hopes_teachers_and_the_past_say_nothing_about_the_writer(text: str) -> None:
    assert _group(text) == "unknown", find_group_evidence(text)


def test_a_day_job_that_is_music_is_not_a_living_elsewhere() -> None:
    for text in ("My day job is mixing records.", "My day job as a mastering engineer is fun."):
        assert _group(text) != "amateur"
        votes = rule_assignment(find_group_evidence(text))[3]
        assert all(v["rule"] != "day-job" for v in votes)


def test_no_day_job_is_not_a_day_job() -> None:
    text = "I don't have a day job; music pays my bills."
    assert _group(text) == "professional"
    assert _group("I quit my day job last year.") == "unknown"


def test_a_day_job_recasts_professional_votes_and_says_so() -> None:
    text = "I have a day job. I also run my own mastering studio."
    group, _, _, votes = rule_assignment(find_group_evidence(text))
    assert group == "pro-am"
    recast = [v for v in votes if v.get("recast_from") == "professional"]
    assert recast and all(v["group"] == "pro-am" for v in recast)
    # without the day job the same studio is a professional's
    assert _group("I also run my own mastering studio.") == "professional"
