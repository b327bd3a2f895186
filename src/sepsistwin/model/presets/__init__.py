"""Built-in model presets; importing this package registers them."""

from sepsistwin.model.presets import reynolds2006 as reynolds2006
from sepsistwin.model.presets import sepsistwin as sepsistwin
