"""Payment channels behind one interface (bank gateways, UnionPay, WeChat Pay, Alipay, the sandbox)."""
