"""Applications (网上申报): Applications, form data, materials, e-license reuse, pre-review, tracking numbers, appointments and delivery."""
