import "./main.scss";
