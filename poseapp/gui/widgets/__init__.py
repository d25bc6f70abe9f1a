"""Widgets drawn with QPainter: the video view, the rolling plot, agreement bars."""
