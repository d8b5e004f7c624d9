"""The smart-message (AIM) product: card templates, their materials and their
review per handset maker.  Pure parts: ``layouts`` (the 29 layouts), ``rules``
(create-request validation), ``pages`` (the stored editor format),
``requests`` (wire models), ``samples`` (a valid request per layout)."""
