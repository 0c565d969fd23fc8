import './styles.css';
import './locale-init';
import './app';
import './pwa';
