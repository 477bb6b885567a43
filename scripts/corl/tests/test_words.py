import unittest

from words import content_words, count_words, word_tokens


class TestWords(unittest.TestCase):
    def test_latin_tokens(self):
        self.assertEqual(word_tokens("I'm __SILENCE__, Café!"), ["i", "m", "silence", "café"])
        self.assertEqual(content_words("I'm a nurse, and I LOVE surfing. Nurse!"), ["nurse", "love", "surfing"])

    def test_cjk_runs_become_bigrams(self):
        self.assertEqual(word_tokens("我有两只狗。我"), ["我有", "有两", "两只", "只狗", "我"])
        self.assertEqual(word_tokens("私は2匹"), ["私は", "2", "匹"])
        self.assertEqual(word_tokens("나는 개를"), ["나는", "개를"])  # Hangul is space-separated

    def test_count_words(self):
        self.assertEqual(count_words("- answers the question"), 3)
        self.assertEqual(count_words(""), 0)


if __name__ == "__main__":
    unittest.main()
