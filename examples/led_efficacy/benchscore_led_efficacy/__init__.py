"""An example benchscore procedure plugin: ``led_efficacy`` (light per watt)."""
