"""Privacy (issue #7): the privacy notice and /privasi, /hapusdata, transcript retention and the
masking of personal numbers and addresses in stored text. See docs/ARCHITECTURE.md, "Privacy"."""
