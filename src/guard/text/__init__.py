"""Text checks: lexicons of banned terms and the matcher that finds them."""
