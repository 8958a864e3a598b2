"""The window around every screen: start-up, main window, sidebar, status strip, theme."""
